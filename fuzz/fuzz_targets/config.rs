#![no_main]
// See flightdeck::fuzz::config.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::config(data));
