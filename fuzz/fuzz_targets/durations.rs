#![no_main]
// See flightdeck::fuzz::durations.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::durations(data));
