//! Small HTML pieces shared by the pages: escaped text, label badges, numbers. Everything that
//! came from a client (names, values, HELP) goes through [`Html::text`] or [`Html::attr`]; only
//! `&'static str` markup is written raw.

use crate::float_format::write_plain_float;
use crate::handlers::replies::escape_html;
use crate::parse::names::is_legacy_label_name;

/// An HTML document or fragment under construction.
#[derive(Debug, Default)]
pub struct Html {
    out: String,
}

impl Html {
    pub fn new() -> Html {
        Html::default()
    }

    pub fn finish(self) -> String {
        self.out
    }

    /// Markup written by us, never data.
    pub fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.out.push_str(markup);
        self
    }

    /// Text content, escaped.
    pub fn text(&mut self, text: &str) -> &mut Html {
        escape_html(&mut self.out, text);
        self
    }

    /// ` name="value"`, the value escaped.
    pub fn attr(&mut self, name: &'static str, value: &str) -> &mut Html {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        escape_html(&mut self.out, value);
        self.out.push('"');
        self
    }

    /// A number as the UI prints it (spec §11.2): plain, never in exponent form.
    pub fn number(&mut self, v: f64) -> &mut Html {
        write_plain_float(&mut self.out, v);
        self
    }

    pub fn integer(&mut self, n: u64) -> &mut Html {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{n}");
        self
    }

    /// One `name="value"` badge, coloured by what the label is (spec §11.1).
    pub fn label_badge(&mut self, name: &str, value: &str) -> &mut Html {
        self.raw(match name {
            "job" => "<span class=\"badge job\">",
            "instance" => "<span class=\"badge instance\">",
            _ => "<span class=\"badge label\">",
        });
        let mut pair = String::with_capacity(name.len() + value.len() + 5);
        write_label_pair(&mut pair, name, value);
        self.text(&pair).raw("</span>")
    }

    /// The badges of a label set: `job` first, then the others in the order given.
    pub fn grouping_badges(&mut self, labels: &[(String, String)]) -> &mut Html {
        for (name, value) in job_first(labels) {
            self.label_badge(name, value).raw(" ");
        }
        self
    }
}

/// `name="value"`, the name quoted when it is not a legacy name (upstream 1.11), the value as
/// it is: the caller escapes for HTML.
fn write_label_pair(out: &mut String, name: &str, value: &str) {
    if is_legacy_label_name(name.as_bytes()) {
        out.push_str(name);
    } else {
        out.push('"');
        out.push_str(name);
        out.push('"');
    }
    out.push_str("=\"");
    out.push_str(value);
    out.push('"');
}

/// Grouping labels with `job` first and the rest in the (sorted) order given.
fn job_first(labels: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    let job = labels.iter().filter(|(n, _)| n == "job");
    let others = labels.iter().filter(|(n, _)| n != "job");
    job.chain(others).map(|(n, v)| (n.as_str(), v.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_escaped_markup_is_not() {
        let mut h = Html::new();
        h.raw("<td")
            .attr("title", "a\"b'<c>")
            .raw(">")
            .text("<script>&")
            .raw("</td>");
        assert_eq!(
            h.finish(),
            "<td title=\"a&#34;b&#39;&lt;c&gt;\">&lt;script&gt;&amp;</td>"
        );
    }

    #[test]
    fn badges_put_job_first_and_quote_utf8_names() {
        let labels = vec![
            ("a.b".to_string(), "x".to_string()),
            ("instance".to_string(), "i".to_string()),
            ("job".to_string(), "<j>".to_string()),
        ];
        let mut h = Html::new();
        h.grouping_badges(&labels);
        assert_eq!(
            h.finish(),
            "<span class=\"badge job\">job=&#34;&lt;j&gt;&#34;</span> \
             <span class=\"badge label\">&#34;a.b&#34;=&#34;x&#34;</span> \
             <span class=\"badge instance\">instance=&#34;i&#34;</span> "
        );
    }

    #[test]
    fn numbers_are_plain() {
        let mut h = Html::new();
        h.number(1e21)
            .raw(" ")
            .number(1795801974.4005775)
            .raw(" ")
            .number(-0.0);
        h.raw(" ").number(0.00001).raw(" ").integer(10_000_000);
        assert_eq!(
            h.finish(),
            "1000000000000000000000 1795801974.4005775 -0 0.00001 10000000"
        );
    }
}
