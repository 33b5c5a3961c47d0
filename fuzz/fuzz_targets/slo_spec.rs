#![no_main]
// See flightdeck::fuzz::slo_spec.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::slo_spec(data));
