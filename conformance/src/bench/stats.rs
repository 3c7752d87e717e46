//! The arithmetic of a benchmark: nearest-rank percentiles, the summary reported per phase, and
//! the pair-by-pair ratios of a comparison. Pure functions over milliseconds; no clock here.

/// Min, p50, p90, p99 and max of a set of samples, in the samples' unit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    pub count: usize,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// The nearest-rank percentile (`p` in 0..=100) of samples sorted ascending: the smallest
/// sample with at least `p`% of the samples at or below it. It is always a measured value, never
/// an interpolation between two runs. `None` for no samples.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Summarises samples in any order; `None` for no samples.
pub fn summarise(samples: &[f64]) -> Option<Summary> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |p| percentile(&sorted, p);
    Some(Summary {
        count: sorted.len(),
        min: *sorted.first()?,
        p50: at(50.0)?,
        p90: at(90.0)?,
        p99: at(99.0)?,
        max: *sorted.last()?,
        mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
    })
}

/// The ratio `a / b` of each pair of runs taken back to back. Pairs where either side is not
/// positive are dropped, since a ratio against zero says nothing about speed.
pub fn pair_ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .filter(|(a, b)| **a > 0.0 && **b > 0.0)
        .map(|(a, b)| a / b)
        .collect()
}

/// The geometric mean, the mean that treats "2x slower" and "2x faster" symmetrically.
pub fn geometric_mean(ratios: &[f64]) -> Option<f64> {
    if ratios.is_empty() || ratios.iter().any(|r| *r <= 0.0) {
        return None;
    }
    let log_sum: f64 = ratios.iter().map(|r| r.ln()).sum();
    Some((log_sum / ratios.len() as f64).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 50.0), Some(50.0));
        assert_eq!(percentile(&hundred, 90.0), Some(90.0));
        assert_eq!(percentile(&hundred, 99.0), Some(99.0));
        assert_eq!(percentile(&hundred, 100.0), Some(100.0));
        assert_eq!(percentile(&hundred, 0.0), Some(1.0));
        let three = [1.0, 2.0, 3.0];
        assert_eq!(percentile(&three, 50.0), Some(2.0));
        assert_eq!(percentile(&three, 90.0), Some(3.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn summaries_sort_their_samples_first() {
        let summary = summarise(&[5.0, 1.0, 4.0, 2.0, 3.0]).unwrap();
        assert_eq!((summary.min, summary.p50, summary.max), (1.0, 3.0, 5.0));
        assert_eq!((summary.p90, summary.p99), (5.0, 5.0));
        assert_eq!(summary.count, 5);
        assert_eq!(summary.mean, 3.0);
        assert_eq!(summarise(&[]), None);
    }

    #[test]
    fn ratios_are_taken_pair_by_pair() {
        // A machine that slows down halfway doubles both sides; the ratio stays 2.
        let a = [20.0, 40.0, 20.0];
        let b = [10.0, 20.0, 10.0];
        assert_eq!(pair_ratios(&a, &b), vec![2.0, 2.0, 2.0]);
        assert_eq!(pair_ratios(&[1.0, 0.0], &[2.0, 3.0]), vec![0.5]);
        assert_eq!(pair_ratios(&[1.0, 2.0, 3.0], &[1.0]), vec![1.0]);
    }

    #[test]
    fn the_geometric_mean_is_symmetric() {
        let mean = geometric_mean(&[2.0, 0.5]).unwrap();
        assert!((mean - 1.0).abs() < 1e-12);
        let mean = geometric_mean(&[1.0, 4.0]).unwrap();
        assert!((mean - 2.0).abs() < 1e-12);
        assert_eq!(geometric_mean(&[]), None);
        assert_eq!(geometric_mean(&[1.0, -1.0]), None);
    }
}
