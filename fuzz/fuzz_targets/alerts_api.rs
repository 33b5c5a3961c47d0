#![no_main]
// See flightdeck::fuzz::alerts_api.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::alerts_api(data));
