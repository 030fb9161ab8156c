//! The run's samples, their medians side by side as a Markdown table, the targets of issue 8
//! checked against them, and a TSV of the medians for `scripts/bench-plot`.

use std::fmt::Write as _;
use std::path::Path;

/// Who a sample is of: a server, or the trivial server's ceiling.
pub const OURS: &str = "ours";
pub const UPSTREAM: &str = "upstream";
pub const CEILING: &str = "ceiling";
const WHO: [&str; 3] = [OURS, UPSTREAM, CEILING];

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// Informational, no ratio.
    Neither,
}

struct Row {
    scenario: String,
    store: String,
    unit: &'static str,
    better: Better,
    samples: [Vec<f64>; 3],
    /// Why a server has no samples.
    skipped: [Option<String>; 3],
    /// Measured once per stage rather than once per round.
    once: bool,
}

#[derive(Default)]
pub struct Results {
    rows: Vec<Row>,
}

fn who_index(who: &str) -> usize {
    WHO.iter().position(|w| *w == who).expect("a known server")
}

impl Results {
    fn row(&mut self, scenario: &str, store: &str, unit: &'static str, better: Better) -> &mut Row {
        let i = match self
            .rows
            .iter()
            .position(|r| r.scenario == scenario && r.store == store)
        {
            Some(i) => i,
            None => {
                self.rows.push(Row {
                    scenario: scenario.to_string(),
                    store: store.to_string(),
                    unit,
                    better,
                    samples: Default::default(),
                    skipped: Default::default(),
                    once: false,
                });
                self.rows.len() - 1
            }
        };
        &mut self.rows[i]
    }

    pub fn add(
        &mut self,
        scenario: &str,
        store: &str,
        unit: &'static str,
        better: Better,
        who: &str,
        value: f64,
    ) {
        self.row(scenario, store, unit, better).samples[who_index(who)].push(value);
    }

    /// A sample of something measured once, not every round.
    pub fn add_once(
        &mut self,
        scenario: &str,
        store: &str,
        unit: &'static str,
        who: &str,
        value: f64,
    ) {
        let row = self.row(scenario, store, unit, Better::Lower);
        row.once = true;
        row.samples[who_index(who)].push(value);
    }

    pub fn skip(
        &mut self,
        scenario: &str,
        store: &str,
        unit: &'static str,
        better: Better,
        who: &str,
        why: &str,
    ) {
        self.row(scenario, store, unit, better).skipped[who_index(who)] = Some(why.to_string());
    }

    pub fn median(&self, scenario: &str, store: &str, who: &str) -> Option<f64> {
        let row = self
            .rows
            .iter()
            .find(|r| r.scenario == scenario && r.store == store)?;
        median(&row.samples[who_index(who)])
    }

    /// The Markdown table: medians (rounds in parentheses when fewer than `rounds`), and how
    /// many times better ours is than upstream and than the ceiling.
    pub fn table(&self, rounds: usize) -> String {
        let mut out = String::from(
            "| scenario | store | pushgateway-rs | upstream 1.5.1 | ours vs upstream | ceiling (trivial server) |\n\
             |---|---|---|---|---|---|\n",
        );
        for row in &self.rows {
            let cell = |i: usize| match (median(&row.samples[i]), &row.skipped[i]) {
                (Some(m), _) if !row.once && row.samples[i].len() < rounds => {
                    format!(
                        "{} ({} of {rounds} rounds)",
                        format_value(m, row.unit),
                        row.samples[i].len()
                    )
                }
                (Some(m), _) => format_value(m, row.unit),
                (None, Some(why)) => format!("skipped: {why}"),
                (None, None) => String::new(),
            };
            let ratio = match (median(&row.samples[0]), median(&row.samples[1]), row.better) {
                (Some(o), Some(u), Better::Higher) if u > 0.0 => {
                    format!("×{}", format_ratio(o / u))
                }
                (Some(o), Some(u), Better::Lower) if o > 0.0 => format!("×{}", format_ratio(u / o)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {ratio} | {} |",
                row.scenario,
                row.store,
                cell(0),
                cell(1),
                cell(2)
            );
        }
        out
    }

    /// One line per median: scenario, store, who, median, unit.
    pub fn write_tsv(&self, path: &Path) -> std::io::Result<()> {
        let mut out = String::from("scenario\tstore\twho\tmedian\tunit\n");
        for row in &self.rows {
            for (i, who) in WHO.iter().enumerate() {
                if let Some(m) = median(&row.samples[i]) {
                    let _ = writeln!(
                        out,
                        "{}\t{}\t{who}\t{m}\t{}",
                        row.scenario, row.store, row.unit
                    );
                }
            }
        }
        std::fs::write(path, out)
    }
}

/// A target of issue 8, checked.
pub struct Target {
    pub goal: String,
    pub measured: String,
    pub met: Option<bool>,
}

pub fn targets_table(targets: &[Target]) -> String {
    let mut out = String::from("| target | measured | met |\n|---|---|---|\n");
    for t in targets {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "not measured",
        };
        let _ = writeln!(out, "| {} | {} | {met} |", t.goal, t.measured);
    }
    out
}

pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

pub fn format_value(v: f64, unit: &str) -> String {
    match unit {
        "/s" if v < 10.0 => format!("{v:.2}/s"),
        "/s" if v < 100.0 => format!("{v:.1}/s"),
        "/s" => format!("{}/s", thousands(v)),
        "%" => format!("{v:.0}%"),
        "ms" if v < 10.0 => format!("{v:.2} ms"),
        "ms" => format!("{} ms", thousands(v)),
        "B" => format!("{} B", thousands(v)),
        "" => thousands(v),
        _ if v < 10.0 => format!("{v:.2} {unit}"),
        _ => format!("{v:.1} {unit}"),
    }
}

fn format_ratio(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.2}")
    } else {
        thousands(r)
    }
}

pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 && c != '-' {
            out.push(',');
        }
        out.push(c);
    }
    out
}
