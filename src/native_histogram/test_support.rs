//! A native-histogram message builder for tests here and in the handlers' tests.

use crate::parse::protobuf::{put_bytes, put_double, put_key, put_varint};

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// A `Histogram` message with the native fields given, wrapped as the value field 7.
pub struct H {
    pub schema: i64,
    pub count: u64,
    pub count_float: f64,
    pub zero_threshold: f64,
    pub zero_count: u64,
    pub spans: [Vec<(i64, u64)>; 2],
    pub deltas: [Vec<i64>; 2],
    pub counts: [Vec<f64>; 2],
}

impl Default for H {
    fn default() -> H {
        H {
            schema: 1,
            count: 20,
            count_float: 0.0,
            zero_threshold: 0.0,
            zero_count: 0,
            spans: [vec![(0, 2), (0, 2)], vec![(0, 2), (0, 2)]],
            deltas: [vec![], vec![]],
            counts: [vec![], vec![]],
        }
    }
}

impl H {
    /// The series' value field (7, the `Histogram` message).
    pub fn encode(&self) -> Vec<u8> {
        let mut m = Vec::new();
        put_key(&mut m, 1, 0);
        put_varint(&mut m, self.count);
        if self.count_float != 0.0 {
            put_double(&mut m, 4, self.count_float);
        }
        put_double(&mut m, 2, 99.23);
        put_key(&mut m, 5, 0);
        put_varint(&mut m, zigzag(self.schema));
        put_double(&mut m, 6, self.zero_threshold);
        put_key(&mut m, 7, 0);
        put_varint(&mut m, self.zero_count);
        // Side 0 is negative (fields 9, 10, 11), side 1 positive (12, 13, 14).
        for (side, base) in [(0, 9), (1, 12)] {
            for &(offset, length) in &self.spans[side] {
                let mut span = Vec::new();
                put_key(&mut span, 1, 0);
                put_varint(&mut span, zigzag(offset));
                put_key(&mut span, 2, 0);
                put_varint(&mut span, length);
                put_bytes(&mut m, base, &span);
            }
            let mut packed = Vec::new();
            for &d in &self.deltas[side] {
                put_varint(&mut packed, zigzag(d));
            }
            if !packed.is_empty() {
                put_bytes(&mut m, base + 1, &packed);
            }
            // Float counts one field each (unpacked), which decoders must take too.
            for &c in &self.counts[side] {
                put_double(&mut m, base + 2, c);
            }
        }
        let mut field = Vec::new();
        put_bytes(&mut field, 7, &m);
        field
    }
}

/// A delimited protobuf push body: one `HISTOGRAM` family `name` with one series holding `h`.
pub fn push_body(name: &str, h: &H) -> Vec<u8> {
    let mut metric = Vec::new();
    metric.extend_from_slice(&h.encode());
    let mut family = Vec::new();
    put_bytes(&mut family, 1, name.as_bytes());
    put_key(&mut family, 3, 0);
    put_varint(&mut family, 4);
    put_bytes(&mut family, 4, &metric);
    let mut body = Vec::new();
    put_varint(&mut body, family.len() as u64);
    body.extend_from_slice(&family);
    body
}
