//! Fuzzer-chosen split points, for the targets that must give the same result however the bytes
//! arrive. The first byte of the input says how the rest (the payload) is cut:
//!
//! ```text
//! input = mode payload
//! mode >= 0x40: pieces of (mode & 0x3f) + 1 bytes each ('@' one byte at a time, 'A' two, …)
//! mode <  0x40: (mode & 7) bytes follow, each the length of one piece (0 is a read that
//!               brought nothing); the rest of the payload is the last piece
//! ```
//!
//! Seeds written by hand start with `@` and stay readable.

/// The payload and how much of it has arrived after each piece: non-decreasing, the last
/// value is the payload's length.
pub struct Split<'a> {
    pub payload: &'a [u8],
    pub arrived: Vec<usize>,
}

/// `None` for the empty input, which has no mode byte.
pub fn split(data: &[u8]) -> Option<Split<'_>> {
    let (&mode, rest) = data.split_first()?;
    let mut arrived = Vec::new();
    let payload = if mode >= 0x40 {
        let piece = usize::from(mode & 0x3f) + 1;
        arrived.extend((piece..rest.len()).step_by(piece));
        rest
    } else {
        let count = usize::from(mode & 7).min(rest.len());
        let (lengths, payload) = rest.split_at(count);
        let mut total = 0;
        for &length in lengths {
            total = (total + usize::from(length)).min(payload.len());
            arrived.push(total);
        }
        payload
    };
    arrived.push(payload.len());
    Some(Split { payload, arrived })
}
