#![no_main]
// See flightdeck::fuzz::slo_samples.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::slo_samples(data));
