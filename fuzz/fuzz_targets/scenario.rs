#![no_main]
// See flightdeck::fuzz::scenario.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::scenario(data));
