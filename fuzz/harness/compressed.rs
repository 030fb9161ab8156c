//! Compressed push bodies (`compress::decoded_body`): the first byte picks gzip or snappy, the
//! rest is the body. Checked: decoding never yields more than the cap, and a body over the cap
//! is refused rather than truncated.

use pushgateway::compress;

/// Small, so that bombs are cheap to find and to check.
const CAP: usize = 1 << 16;

pub fn run(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let encoding: &[u8] = if selector % 2 == 0 {
        b"gzip"
    } else {
        b"SNAPPY"
    };
    let mut scratch = Vec::new();
    if let Ok(decoded) = compress::decoded_body(Some(encoding), body, &mut scratch, CAP) {
        assert!(
            decoded.len() <= CAP,
            "decoded {} bytes past the cap",
            decoded.len()
        );
    }
    assert!(
        scratch.capacity() <= 2 * CAP + 64,
        "scratch grew to {}",
        scratch.capacity()
    );
}
