//! The Status tab (spec §11.1): start time, build information and the start-up flags, each a
//! two-column table sorted by key.

use super::html::Html;

pub struct StatusInfo<'a> {
    /// Go's default time layout (`time_format::go_default`).
    pub started: &'a str,
    pub build: &'a [(&'static str, &'static str)],
    /// `Config::flag_map`, sorted by name.
    pub flags: &'a [(&'static str, String)],
}

pub fn write_status_tab(h: &mut Html, info: &StatusInfo<'_>) {
    h.raw("<h2>Runtime Information</h2>\n");
    write_table(h, [("Started", info.started)].into_iter());
    h.raw("<h2>Build Information</h2>\n");
    write_table(h, info.build.iter().copied());
    h.raw("<h2>Startup Flags</h2>\n");
    write_table(h, info.flags.iter().map(|(k, v)| (*k, v.as_str())));
}

fn write_table<'a>(h: &mut Html, rows: impl Iterator<Item = (&'a str, &'a str)>) {
    h.raw("<table class=\"kv\"><tbody>\n");
    for (key, value) in rows {
        h.raw("<tr><th>")
            .text(key)
            .raw("</th><td>")
            .text(value)
            .raw("</td></tr>\n");
    }
    h.raw("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_in_order_with_values_escaped() {
        let mut h = Html::new();
        let flags = [("web.external-url", "http://x/<y>".to_string())];
        write_status_tab(
            &mut h,
            &StatusInfo {
                started: "2025-04-09 10:02:27.716605811 +0000 UTC",
                build: &[("branch", "main"), ("version", "0.1.0")],
                flags: &flags,
            },
        );
        assert_eq!(
            h.finish(),
            "<h2>Runtime Information</h2>\n<table class=\"kv\"><tbody>\n\
             <tr><th>Started</th><td>2025-04-09 10:02:27.716605811 +0000 UTC</td></tr>\n\
             </tbody></table>\n\
             <h2>Build Information</h2>\n<table class=\"kv\"><tbody>\n\
             <tr><th>branch</th><td>main</td></tr>\n<tr><th>version</th><td>0.1.0</td></tr>\n\
             </tbody></table>\n\
             <h2>Startup Flags</h2>\n<table class=\"kv\"><tbody>\n\
             <tr><th>web.external-url</th><td>http://x/&lt;y&gt;</td></tr>\n\
             </tbody></table>\n"
        );
    }
}
