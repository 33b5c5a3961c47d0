#![no_main]
// See flightdeck::fuzz::markdown.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::markdown(data));
