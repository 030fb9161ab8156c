//! Content negotiation of a scrape (spec §8.4), as expfmt's `Negotiate`: `Accept` entries sorted
//! by q (then specificity, ties in header order), the first one naming a format we serve wins,
//! and an `escaping=` parameter seen on the way picks the name-escaping scheme. OpenMetrics is
//! never served.

use crate::escaping::Escaping;
use crate::store::Format;

const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

#[derive(Debug, PartialEq, Eq)]
pub struct Negotiated {
    pub format: Format,
    /// How names outside the legacy character set are written.
    pub escaping: Escaping,
    /// The full `Content-Type`, escaping suffix included.
    pub content_type: String,
}

struct Entry<'a> {
    media: &'a str,
    q: f64,
    params: Vec<(&'a str, &'a str)>,
}

impl Entry<'_> {
    fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v)
    }

    /// goautoneg's order: higher q first, then concrete types before `*` ones.
    fn wildcards(&self) -> (bool, bool) {
        let (t, s) = self.media.split_once('/').unwrap_or((self.media, ""));
        (t == "*", s == "*")
    }
}

fn parse(accept: &str) -> Vec<Entry<'_>> {
    let mut entries: Vec<Entry<'_>> = accept
        .split(',')
        .filter_map(|part| {
            let mut fields = part.split(';');
            let media = fields.next()?.trim();
            if media.is_empty() {
                return None;
            }
            let mut entry = Entry {
                media,
                q: 1.0,
                params: Vec::new(),
            };
            for field in fields {
                let Some((k, v)) = field.split_once('=') else {
                    continue;
                };
                let (k, v) = (k.trim(), v.trim().trim_matches('"'));
                if k == "q" {
                    entry.q = v.parse().unwrap_or(0.0);
                } else {
                    entry.params.push((k, v));
                }
            }
            Some(entry)
        })
        .collect();
    entries.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then_with(|| a.wildcards().cmp(&b.wildcards()))
    });
    entries
}

pub fn negotiate(accept: Option<&[u8]>) -> Negotiated {
    let accept = accept
        .and_then(|a| std::str::from_utf8(a).ok())
        .unwrap_or("");
    // Upstream 1.10+'s default.
    let mut escaping = Escaping::Underscores;
    let mut format = Format::Text;
    for entry in parse(accept) {
        if let Some(scheme) = Escaping::from_param(entry.param("escaping")) {
            escaping = scheme;
        }
        let protobuf = entry
            .media
            .eq_ignore_ascii_case("application/vnd.google.protobuf")
            && entry.param("proto") == "io.prometheus.client.MetricFamily";
        if protobuf && entry.param("encoding") == "delimited" {
            format = Format::Protobuf;
            break;
        }
        // The protobuf text formats (`encoding=text|compact-text`) are Go debugging aids that no
        // scraper asks for; they get the text format here.
        let version = entry.param("version");
        if protobuf
            || (entry.media.eq_ignore_ascii_case("text/plain")
                && (version.is_empty() || version == "0.0.4"))
        {
            break;
        }
    }
    let base = match format {
        Format::Text => TEXT,
        Format::Protobuf => PROTOBUF,
    };
    Negotiated {
        format,
        escaping,
        content_type: format!("{base}; escaping={}", escaping.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &str) -> (Format, String) {
        let n = negotiate(Some(accept.as_bytes()));
        (n.format, n.content_type)
    }

    #[test]
    fn q_values_decide_not_order() {
        let (f, _) = pick("text/plain;version=0.0.4;q=0.3,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7");
        assert_eq!(f, Format::Protobuf);
    }

    #[test]
    fn prometheus_defaults_get_text() {
        let prom2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(
            pick(prom2),
            (Format::Text, format!("{TEXT}; escaping=underscores"))
        );
        assert_eq!(negotiate(None).format, Format::Text);
        assert_eq!(pick("application/json").0, Format::Text);
        assert_eq!(pick("text/plain;version=1.0.0").0, Format::Text);
    }

    #[test]
    fn escaping_parameter_up_to_the_match_is_used() {
        let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8;q=0.9,text/plain;q=0.5";
        assert_eq!(
            pick(accept),
            (
                Format::Protobuf,
                format!("{PROTOBUF}; escaping=allow-utf-8")
            )
        );
        assert_eq!(
            pick("text/plain;escaping=bogus").1,
            format!("{TEXT}; escaping=underscores")
        );
        assert_eq!(
            pick("text/plain;escaping=dots").1,
            format!("{TEXT}; escaping=dots")
        );
        // The scheme the scrape is written in is the one the Content-Type names.
        for escaping in Escaping::ALL {
            let accept = format!("text/plain;version=0.0.4;escaping={}", escaping.as_str());
            assert_eq!(negotiate(Some(accept.as_bytes())).escaping, escaping);
        }
        assert_eq!(negotiate(None).escaping, Escaping::Underscores);
    }

    #[test]
    fn protobuf_needs_the_delimited_encoding() {
        assert_eq!(
            pick("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily").0,
            Format::Text
        );
        assert_eq!(pick("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text").0, Format::Text);
    }
}
