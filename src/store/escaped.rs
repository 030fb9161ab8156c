//! The exposition of a family that holds a name outside the legacy character set, in the
//! escaping scheme a scrape asked for (spec §8.4). Only `--push.enable-utf8-names` lets such
//! names in, so the common case pays one `None` per family: a family is looked at once when it
//! is stored, and only one with such a name gets an [`Escaped`], whose renderings are made on
//! the first scrape that asks for each scheme and kept until the family is replaced.
//!
//! As upstream (`model.EscapeMetricFamily`, then expfmt's writers): the family name and every
//! label name that is not legacy is escaped; suffixes (`_sum`, `_count`, `_bucket`) and `le` /
//! `quantile` follow the escaped name; HELP text, label values and the exemplars kept in a
//! protobuf series stay as they are. Families and series keep the order of their stored names,
//! so two names that escape alike (`a.b` and `a_b`) are written as two families of one name, as
//! upstream does. Labels never include `__name__` here (the parsers and the check refuse it).

use super::fragment::{write_name, Fragment};
use super::protobuf;
use super::scrape::Format;
use crate::escaping::{escape, Escaping, NameKind};
use crate::model::Family;
use std::cell::OnceCell;

/// One family's exposition in one format and scheme.
#[derive(Debug)]
pub struct Rendering {
    /// The name as the family's header writes it: escaped, or quoted in text with `allow-utf-8`.
    pub name: Box<str>,
    pub fragment: Fragment,
}

/// The renderings a family with names outside the legacy character set has been asked for:
/// text in each of the four schemes, protobuf in the three that rename (`allow-utf-8` protobuf
/// is the family's plain encoding, so its slot stays empty).
#[derive(Debug, Default)]
pub struct Escaped {
    renderings: [OnceCell<Rendering>; 2 * Escaping::ALL.len()],
}

impl Escaped {
    /// An `Escaped` for a family that needs one.
    pub fn of(family: &Family<'_>) -> Option<Box<Escaped>> {
        needs_escaping(family).then(Box::default)
    }

    /// The family in `format` and `escaping`; `None` when that is its plain rendering.
    pub fn rendering(
        &self,
        family: &Family<'static>,
        format: Format,
        escaping: Escaping,
    ) -> Option<&Rendering> {
        let slot = match (format, escaping) {
            (Format::Protobuf, Escaping::AllowUtf8) => return None,
            (Format::Text, e) => e as usize,
            (Format::Protobuf, e) => Escaping::ALL.len() + e as usize,
        };
        Some(self.renderings[slot].get_or_init(|| render(family, format, escaping)))
    }
}

fn needs_escaping(family: &Family<'_>) -> bool {
    !NameKind::Metric.is_legacy(&family.name)
        || family.metrics.iter().any(|m| {
            m.labels
                .iter()
                .any(|label| !NameKind::Label.is_legacy(&label.name))
        })
}

fn render(family: &Family<'static>, format: Format, escaping: Escaping) -> Rendering {
    if escaping == Escaping::AllowUtf8 {
        let mut name = Vec::with_capacity(family.name.len() + 2);
        let quoted = !NameKind::Metric.is_legacy(&family.name);
        write_name(&mut name, &family.name, quoted);
        return Rendering {
            name: String::from_utf8(name).expect("quoting keeps UTF-8").into(),
            fragment: Fragment::render_quoted(family),
        };
    }
    let escaped = escape_family(family, escaping);
    let fragment = match format {
        Format::Text => Fragment::render(&escaped),
        Format::Protobuf => protobuf::render(&escaped),
    };
    Rendering {
        name: escaped.name.into(),
        fragment,
    }
}

/// A copy of `family` with its names escaped; borrowed where nothing changes.
fn escape_family<'a>(family: &'a Family<'static>, escaping: Escaping) -> Family<'a> {
    family.borrowed_with(|name, is_label| {
        let kind = if is_label {
            NameKind::Label
        } else {
            NameKind::Metric
        };
        escape(name, kind, escaping)
    })
}

#[cfg(test)]
mod tests {
    use crate::clock::Timestamp;
    use crate::escaping::Escaping;
    use crate::parse::names::NameScheme;
    use crate::parse::protobuf::parse as parse_protobuf;
    use crate::parse::text::{parse, TextOptions};
    use crate::store::tests::key;
    use crate::store::{Format, Store};

    const UTF8: TextOptions = TextOptions { utf8_names: true };

    /// A store holding `body` (UTF-8 names allowed) in group `{job="j"}`.
    fn store_with(body: &str) -> Store {
        let mut store = Store::new(true, crate::own_metrics::OWN_FAMILIES);
        let families = parse(body.as_bytes(), UTF8).expect("test body parses");
        store
            .push(
                &key(&[("job", "j")]),
                families,
                true,
                Timestamp::from_unix_nanos(0),
            )
            .expect("push is consistent");
        store
    }

    fn scrape(store: &mut Store, format: Format, escaping: Escaping) -> Vec<u8> {
        let scrape = store
            .scrape_with(&[], format, escaping)
            .expect("consistent");
        scrape
            .chunks
            .iter()
            .flat_map(|c| c.as_slice().to_vec())
            .collect()
    }

    /// The text exposition without the bookkeeping families.
    fn text(store: &mut Store, escaping: Escaping) -> String {
        let bytes = scrape(store, Format::Text, escaping);
        let text = String::from_utf8(bytes).unwrap();
        let pushed = text.lines().filter(|line| !line.contains("push_"));
        pushed.map(|line| format!("{line}\n")).collect()
    }

    const BODY: &str = "# HELP \"my.metric\" Some help.\n\
                        # TYPE \"my.metric\" counter\n\
                        {\"my.metric\",\"some.label\"=\"v\\\"\"} 1\n\
                        # TYPE \"h.x\" histogram\n\
                        {\"h.x_bucket\",le=\"1\"} 2\n\
                        {\"h.x_count\"} 2\n\
                        {\"h.x_sum\"} 3\n\
                        # TYPE s summary\n\
                        s{\"a:b\"=\"1\",quantile=\"0.5\"} 4\n\
                        s_count{\"a:b\"=\"1\"} 1\n\
                        s_sum{\"a:b\"=\"1\"} 4\n\
                        plain{x=\"1\"} 5\n";

    #[test]
    fn text_in_every_scheme() {
        let mut s = store_with(BODY);
        let cases = [
            (
                Escaping::Underscores,
                "# TYPE h_x histogram\n\
                 h_x_bucket{instance=\"\",job=\"j\",le=\"1\"} 2\n\
                 h_x_bucket{instance=\"\",job=\"j\",le=\"+Inf\"} 2\n\
                 h_x_sum{instance=\"\",job=\"j\"} 3\n\
                 h_x_count{instance=\"\",job=\"j\"} 2\n\
                 # HELP my_metric Some help.\n\
                 # TYPE my_metric counter\n\
                 my_metric{instance=\"\",job=\"j\",some_label=\"v\\\"\"} 1\n\
                 # TYPE plain untyped\n\
                 plain{instance=\"\",job=\"j\",x=\"1\"} 5\n\
                 # TYPE s summary\n\
                 s{a_b=\"1\",instance=\"\",job=\"j\",quantile=\"0.5\"} 4\n\
                 s_sum{a_b=\"1\",instance=\"\",job=\"j\"} 4\n\
                 s_count{a_b=\"1\",instance=\"\",job=\"j\"} 1\n",
            ),
            (
                Escaping::Dots,
                "# TYPE h_dot_x histogram\n\
                 h_dot_x_bucket{instance=\"\",job=\"j\",le=\"1\"} 2\n\
                 h_dot_x_bucket{instance=\"\",job=\"j\",le=\"+Inf\"} 2\n\
                 h_dot_x_sum{instance=\"\",job=\"j\"} 3\n\
                 h_dot_x_count{instance=\"\",job=\"j\"} 2\n\
                 # HELP my_dot_metric Some help.\n\
                 # TYPE my_dot_metric counter\n\
                 my_dot_metric{instance=\"\",job=\"j\",some_dot_label=\"v\\\"\"} 1\n\
                 # TYPE plain untyped\n\
                 plain{instance=\"\",job=\"j\",x=\"1\"} 5\n\
                 # TYPE s summary\n\
                 s{a__b=\"1\",instance=\"\",job=\"j\",quantile=\"0.5\"} 4\n\
                 s_sum{a__b=\"1\",instance=\"\",job=\"j\"} 4\n\
                 s_count{a__b=\"1\",instance=\"\",job=\"j\"} 1\n",
            ),
            (
                Escaping::Values,
                "# TYPE U__h_2e_x histogram\n\
                 U__h_2e_x_bucket{instance=\"\",job=\"j\",le=\"1\"} 2\n\
                 U__h_2e_x_bucket{instance=\"\",job=\"j\",le=\"+Inf\"} 2\n\
                 U__h_2e_x_sum{instance=\"\",job=\"j\"} 3\n\
                 U__h_2e_x_count{instance=\"\",job=\"j\"} 2\n\
                 # HELP U__my_2e_metric Some help.\n\
                 # TYPE U__my_2e_metric counter\n\
                 U__my_2e_metric{instance=\"\",job=\"j\",U__some_2e_label=\"v\\\"\"} 1\n\
                 # TYPE plain untyped\n\
                 plain{instance=\"\",job=\"j\",x=\"1\"} 5\n\
                 # TYPE s summary\n\
                 s{U__a_3a_b=\"1\",instance=\"\",job=\"j\",quantile=\"0.5\"} 4\n\
                 s_sum{U__a_3a_b=\"1\",instance=\"\",job=\"j\"} 4\n\
                 s_count{U__a_3a_b=\"1\",instance=\"\",job=\"j\"} 1\n",
            ),
            (
                Escaping::AllowUtf8,
                "# TYPE \"h.x\" histogram\n\
                 {\"h.x_bucket\",instance=\"\",job=\"j\",le=\"1\"} 2\n\
                 {\"h.x_bucket\",instance=\"\",job=\"j\",le=\"+Inf\"} 2\n\
                 {\"h.x_sum\",instance=\"\",job=\"j\"} 3\n\
                 {\"h.x_count\",instance=\"\",job=\"j\"} 2\n\
                 # HELP \"my.metric\" Some help.\n\
                 # TYPE \"my.metric\" counter\n\
                 {\"my.metric\",instance=\"\",job=\"j\",\"some.label\"=\"v\\\"\"} 1\n\
                 # TYPE plain untyped\n\
                 plain{instance=\"\",job=\"j\",x=\"1\"} 5\n\
                 # TYPE s summary\n\
                 s{\"a:b\"=\"1\",instance=\"\",job=\"j\",quantile=\"0.5\"} 4\n\
                 s_sum{\"a:b\"=\"1\",instance=\"\",job=\"j\"} 4\n\
                 s_count{\"a:b\"=\"1\",instance=\"\",job=\"j\"} 1\n",
            ),
        ];
        for (escaping, want) in cases {
            assert_eq!(text(&mut s, escaping), want, "{escaping:?}");
            // Asked again: the kept rendering.
            assert_eq!(text(&mut s, escaping), want, "{escaping:?}");
        }
    }

    #[test]
    fn escaped_text_parses_as_legacy_text_and_quoted_text_as_utf8() {
        let mut s = store_with(BODY);
        for escaping in [Escaping::Underscores, Escaping::Dots, Escaping::Values] {
            let text = text(&mut s, escaping);
            let families = parse(text.as_bytes(), TextOptions::default())
                .unwrap_or_else(|e| panic!("{escaping:?}: {e}\n{text}"));
            assert_eq!(families.len(), 4);
        }
        let quoted = text(&mut s, Escaping::AllowUtf8);
        let families = parse(quoted.as_bytes(), UTF8).unwrap();
        let names: Vec<&str> = families.iter().map(|f| &*f.name).collect();
        assert_eq!(names, ["h.x", "my.metric", "plain", "s"]);
        assert_eq!(families[1].metrics[0].labels[2].name, "some.label");
        assert_eq!(families[1].metrics[0].labels[2].value, "v\"");
    }

    #[test]
    fn protobuf_names_are_escaped_and_allow_utf8_is_the_plain_encoding() {
        let mut s = store_with(BODY);
        // Each pushed family's name and its first series' label names.
        let mut names = |escaping| -> Vec<String> {
            let bytes = scrape(&mut s, Format::Protobuf, escaping);
            let decoded = parse_protobuf(&bytes, NameScheme { utf8: true }).unwrap();
            decoded
                .families
                .iter()
                .filter(|f| !f.name.starts_with("push_"))
                .map(|f| {
                    let labels = f.metrics[0].labels.iter().map(|l| &*l.name);
                    format!("{} {}", f.name, labels.collect::<Vec<_>>().join(","))
                })
                .collect()
        };
        let plain = ["plain instance,job,x"];
        let want = |h: &str, my: &str, s: &str| [h, my, plain[0], s].map(String::from).to_vec();
        assert_eq!(
            names(Escaping::Underscores),
            want(
                "h_x instance,job",
                "my_metric instance,job,some_label",
                "s a_b,instance,job"
            )
        );
        assert_eq!(
            names(Escaping::Values),
            want(
                "U__h_2e_x instance,job",
                "U__my_2e_metric instance,job,U__some_2e_label",
                "s U__a_3a_b,instance,job"
            )
        );
        assert_eq!(
            names(Escaping::AllowUtf8),
            want(
                "h.x instance,job",
                "my.metric instance,job,some.label",
                "s a:b,instance,job"
            )
        );
    }

    #[test]
    fn legacy_families_keep_their_one_rendering() {
        let s = store_with("a{b=\"1\"} 1\n");
        let group = s.group(&key(&[("job", "j")])).unwrap();
        assert!(group.families.values().all(|f| f.escaped.is_none()));
        let s = store_with("{\"a.b\"} 1\nc{\"d.e\"=\"1\"} 1\nf 1\n");
        let group = s.group(&key(&[("job", "j")])).unwrap();
        let escaped: Vec<&str> = group
            .families
            .iter()
            .filter(|(_, f)| f.escaped.is_some())
            .map(|(name, _)| &**name)
            .collect();
        assert_eq!(escaped, ["a.b", "c"]);
    }

    #[test]
    fn names_that_escape_alike_stay_two_families_as_upstream() {
        let mut s = store_with("{\"a.b\"} 1\na_b 2\n");
        assert_eq!(
            text(&mut s, Escaping::Underscores),
            "# TYPE a_b untyped\n\
             a_b{instance=\"\",job=\"j\"} 1\n\
             # TYPE a_b untyped\n\
             a_b{instance=\"\",job=\"j\"} 2\n"
        );
    }

    #[test]
    fn utf8_grouping_labels_escape_in_the_bookkeeping_families() {
        let mut store = Store::new(true, crate::own_metrics::OWN_FAMILIES);
        let k = key(&[("job", "j"), ("dotted.name", "v")]);
        store
            .push(&k, Vec::new(), true, Timestamp::from_unix_nanos(0))
            .unwrap();
        let text = String::from_utf8(scrape(&mut store, Format::Text, Escaping::Underscores));
        assert!(text
            .unwrap()
            .contains("push_time_seconds{dotted_name=\"v\",instance=\"\",job=\"j\"} 0\n"));
    }
}
