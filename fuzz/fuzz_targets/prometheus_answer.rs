#![no_main]
// See flightdeck::fuzz::prometheus_answer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::prometheus_answer(data));
