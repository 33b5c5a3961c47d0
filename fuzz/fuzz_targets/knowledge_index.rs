#![no_main]
// See flightdeck::fuzz::knowledge_index.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::knowledge_index(data));
