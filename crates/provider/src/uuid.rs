//! Random UUIDv4 strings (idempotency keys and client request ids) from the host's randomness.

use crate::platform::Platform;

/// A new random UUID version 4, e.g. `3f2b8c1e-9a4d-4e6f-8b1a-2c3d4e5f6a7b`.
pub fn new_v4<P: Platform + ?Sized>(platform: &P) -> String {
    format_v4(platform.random(), platform.random())
}

/// Formats 128 random bits as a version 4, variant 1 UUID.
pub fn format_v4(high: u64, low: u64) -> String {
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_version_and_variant() {
        let cases = [
            (0, 0, "00000000-0000-4000-8000-000000000000"),
            (u64::MAX, u64::MAX, "ffffffff-ffff-4fff-bfff-ffffffffffff"),
            (
                0x0123_4567_89ab_cdef,
                0xfedc_ba98_7654_3210,
                "01234567-89ab-4def-bedc-ba9876543210",
            ),
        ];
        for (high, low, expected) in cases {
            assert_eq!(format_v4(high, low), expected);
        }
    }
}
