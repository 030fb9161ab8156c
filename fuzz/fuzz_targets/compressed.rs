#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::compressed::run(data));
