#![no_main]
// See flightdeck::fuzz::webhook_body.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::webhook_body(data));
