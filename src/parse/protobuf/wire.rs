//! The protobuf wire format, as far as `metrics.proto` needs it: varints, zig-zag, fixed 64/32
//! bit values and length-delimited fields, read from a borrowed buffer. Every length is checked
//! against the bytes left before it is used, so nothing here allocates.

/// A malformed or truncated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// The input ended inside a field.
    UnexpectedEof,
    /// Not valid protobuf (bad varint, wire type or field number).
    Invalid,
}

pub const VARINT: u8 = 0;
pub const FIXED64: u8 = 1;
pub const LEN: u8 = 2;
pub const FIXED32: u8 = 5;

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos == self.buf.len()
    }

    pub fn varint(&mut self) -> Result<u64, WireError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let &byte = self.buf.get(self.pos).ok_or(WireError::UnexpectedEof)?;
            self.pos += 1;
            // The tenth byte may only carry the top bit of a 64-bit value.
            if shift == 63 && byte > 1 {
                return Err(WireError::Invalid);
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireError::Invalid)
    }

    /// A field key: (field number, wire type).
    pub fn key(&mut self) -> Result<(u32, u8), WireError> {
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).map_err(|_| WireError::Invalid)?;
        if field == 0 {
            return Err(WireError::Invalid);
        }
        Ok((field, (key & 7) as u8))
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        let len = usize::try_from(self.varint()?).map_err(|_| WireError::UnexpectedEof)?;
        self.take(len)
    }

    pub fn fixed64(&mut self) -> Result<u64, WireError> {
        let bytes = self.take(8)?.try_into();
        Ok(u64::from_le_bytes(
            bytes.map_err(|_| WireError::UnexpectedEof)?,
        ))
    }

    pub fn double(&mut self) -> Result<f64, WireError> {
        self.fixed64().map(f64::from_bits)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        let bytes = self.buf.get(self.pos..).and_then(|rest| rest.get(..len));
        let bytes = bytes.ok_or(WireError::UnexpectedEof)?;
        self.pos += len;
        Ok(bytes)
    }

    /// Skips one field of the given wire type (unknown fields are ignored, as proto2 does).
    pub fn skip(&mut self, wire_type: u8) -> Result<(), WireError> {
        match wire_type {
            VARINT => self.varint().map(drop),
            FIXED64 => self.take(8).map(drop),
            LEN => self.bytes().map(drop),
            FIXED32 => self.take(4).map(drop),
            _ => Err(WireError::Invalid),
        }
    }
}

/// Appends a varint.
pub fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

pub fn put_key(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    put_varint(out, u64::from(field) << 3 | u64::from(wire_type));
}

pub fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(out, field, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

pub fn put_double(out: &mut Vec<u8>, field: u32, value: f64) {
    put_key(out, field, FIXED64);
    out.extend_from_slice(&value.to_bits().to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_overlong() {
        for n in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, n);
            assert_eq!(Reader::new(&out).varint(), Ok(n));
        }
        assert_eq!(Reader::new(&[0x80]).varint(), Err(WireError::UnexpectedEof));
        assert_eq!(Reader::new(&[0xff; 10]).varint(), Err(WireError::Invalid));
    }

    #[test]
    fn lengths_are_checked_before_use() {
        // A length of 2^40 with three bytes left.
        let mut buf = Vec::new();
        put_varint(&mut buf, 1 << 40);
        buf.extend_from_slice(b"abc");
        assert_eq!(Reader::new(&buf).bytes(), Err(WireError::UnexpectedEof));
        assert_eq!(Reader::new(&[0x0b]).skip(3), Err(WireError::Invalid));
    }
}
