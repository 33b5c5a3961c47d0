#![no_main]
// See flightdeck::fuzz::journal_lines.
libfuzzer_sys::fuzz_target!(|data: &[u8]| flightdeck::fuzz::journal_lines(data));
