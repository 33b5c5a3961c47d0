#![no_main]
// See flightdeck::fuzz::drill_script.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::drill_script(data));
