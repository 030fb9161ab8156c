use super::test_support::H;
use super::*;

fn rows(h: &H) -> Vec<(u8, f64, f64, BucketCount)> {
    decode(&h.encode())
        .expect("native")
        .api_buckets()
        .into_iter()
        .map(|b| (b.rule, b.lower, b.upper, b.count))
        .collect()
}

const SQRT2: f64 = std::f64::consts::SQRT_2;

#[test]
fn integer_buckets_accumulate_deltas_and_skip_empty_ones() {
    // Upstream's API test case: deltas 0, 2, -2, 0 on both sides give one bucket of 2 each.
    let h = H {
        deltas: [vec![0, 2, -2, 0], vec![0, 2, -2, 0]],
        ..H::default()
    };
    use BucketCount::Int;
    assert_eq!(
        rows(&h),
        vec![(1, -SQRT2, -1.0, Int(2)), (0, 1.0, SQRT2, Int(2))]
    );
    assert_eq!(decode(&h.encode()).unwrap().count(), Int(20));
}

#[test]
fn float_buckets_are_absolute_and_negative_ones_come_most_negative_first() {
    let h = H {
        count: 0,
        count_float: 20.0,
        counts: [vec![2.0, 2.0, -2.0, 0.0], vec![2.0, 2.0, -2.0, 0.0]],
        ..H::default()
    };
    use BucketCount::Float;
    let half = SQRT2 / 2.0;
    assert_eq!(
        rows(&h),
        vec![
            (1, -2.0, -SQRT2, Float(-2.0)),
            (1, -SQRT2, -1.0, Float(2.0)),
            (1, -1.0, -half, Float(2.0)),
            (0, half, 1.0, Float(2.0)),
            (0, 1.0, SQRT2, Float(2.0)),
            (0, SQRT2, 2.0, Float(-2.0)),
        ]
    );
    assert_eq!(decode(&h.encode()).unwrap().count(), Float(20.0));
}

#[test]
fn span_offsets_are_gaps_after_the_first_and_the_zero_bucket_sits_between() {
    let h = H {
        schema: 0,
        zero_threshold: 0.25,
        zero_count: 5,
        spans: [vec![(-2, 1)], vec![(-1, 1), (2, 1)]],
        deltas: [vec![3], vec![1, 1]],
        ..H::default()
    };
    use BucketCount::Int;
    assert_eq!(
        rows(&h),
        vec![
            // Negative index -2 in schema 0: [-(2^-2), -(2^-3)).
            (1, -0.25, -0.125, Int(3)),
            (3, -0.25, 0.25, Int(5)),
            // Positive index -1: (2^-2, 2^-1]; then index -1 + 1 + 2 = 2: (2, 4].
            (0, 0.25, 0.5, Int(1)),
            (0, 2.0, 4.0, Int(2)),
        ]
    );
}

#[test]
fn negative_schemas_merge_powers_of_two() {
    let h = H {
        schema: -2,
        spans: [vec![], vec![(1, 2)]],
        deltas: [vec![], vec![1, 0]],
        ..H::default()
    };
    use BucketCount::Int;
    assert_eq!(
        rows(&h),
        vec![(0, 1.0, 16.0, Int(1)), (0, 16.0, 256.0, Int(1))]
    );
}

#[test]
fn the_last_finite_bucket_ends_at_the_largest_float() {
    assert_eq!(bound(1024, 0), f64::MAX);
    assert_eq!(bound(1025, 0), f64::INFINITY);
    assert_eq!(bound(256, -2), f64::MAX);
    assert_eq!(bound(1023, 0), 2f64.powi(1023));
    assert_eq!(bound(-1074, 0), f64::from_bits(1));
}

#[test]
fn bounds_are_exact_powers_of_two_in_every_schema() {
    for schema in -4..=8 {
        for index in [-20, -1, 0, 1, 7, 30] {
            let exact = 2f64.powf(f64::from(index) / 2f64.powi(schema));
            let got = bound(index, schema);
            let close = got == exact || (got - exact).abs() <= exact * 4.0 * f64::EPSILON;
            assert!(close, "{schema} {index}: {got} vs {exact}");
        }
    }
}

#[test]
fn classic_histograms_and_broken_fields_are_not_native() {
    let classic = H {
        spans: [vec![], vec![]],
        ..H::default()
    };
    assert_eq!(decode(&classic.encode()), None);
    assert_eq!(decode(b""), None);
    assert_eq!(decode(&[0x3a, 0x05, 0x08]), None);
}

#[test]
fn spans_claiming_more_buckets_than_given_stop_at_the_counts() {
    let h = H {
        spans: [
            vec![],
            vec![(0, u32::MAX as u64), (i32::MAX as i64, u32::MAX as u64)],
        ],
        deltas: [vec![], vec![1, 1, 1]],
        ..H::default()
    };
    assert_eq!(rows(&h).len(), 3);
}

#[test]
fn extreme_schemas_and_indexes_do_not_panic() {
    for schema in [i32::MIN, -53, -5, 9, 30, i32::MAX] {
        for index in [i32::MIN, -1, 0, 1, i32::MAX] {
            let _ = bound(index, schema);
        }
    }
}
