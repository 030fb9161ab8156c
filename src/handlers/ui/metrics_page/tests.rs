use super::*;
use crate::clock::Timestamp;
use crate::handlers::test_support::{key, T0};
use crate::parse::text::{self, TextOptions};
use crate::store::Store;
use crate::time_zone::Zone;
use std::time::Duration;

/// A PUT: grouping labels, body, time in Unix nanoseconds.
type Push<'a> = (&'a [(&'a str, &'a str)], &'a str, i64);

fn store_with(pushes: &[Push<'_>]) -> Store {
    let mut store = Store::new(true, &[]);
    for (pairs, body, nanos) in pushes {
        let families = text::parse(body.as_bytes(), TextOptions::default()).expect("body parses");
        // A rejected push still records its failure, which is what some tests want.
        let _ = store.push(
            &key(pairs),
            families,
            true,
            Timestamp::from_unix_nanos(*nanos),
        );
    }
    store
}

fn tab(store: &Store, admin_api: bool) -> String {
    tab_with(store, admin_api, None)
}

fn tab_with(store: &Store, admin_api: bool, group_ttl: Option<Duration>) -> String {
    let mut h = Html::new();
    let opts = MetricsOptions {
        admin_api,
        utf8_names: false,
        zone: &Zone::utc(),
        group_ttl,
    };
    write_metrics_tab(&mut h, &store.groups_sorted(), &opts);
    h.finish()
}

#[test]
fn empty_store() {
    let store = store_with(&[]);
    assert_eq!(
        tab(&store, true),
        "<div class=\"toolbar\"><input type=\"search\" id=\"filter\" placeholder=\"Filter groups by label\" aria-label=\"Filter groups by label\">\
         <span class=\"muted\"><span id=\"group-count\">0</span> groups</span>\
         <button type=\"button\" class=\"danger\" id=\"delete-all\" data-url=\"api/v1/admin/wipe\" disabled>Delete All <span class=\"count\" id=\"delete-all-count\">0</span> Groups</button></div>\n\
         <p class=\"empty\" id=\"no-groups\">No metric groups.</p>\n<div id=\"groups\">\n</div>\n"
    );
    assert!(!tab(&store, false).contains("delete-all"));
}

#[test]
fn group_rows() {
    let store = store_with(&[
        (&[("job", "j"), ("a", "<script>")], "x 1\n", T0),
        (&[("job", "j")], "# TYPE y counter\ny 1\n", T0),
        // Rejected (timestamp): a new group with only a failure time.
        (
            &[("job", "j"), ("instance", "i")],
            "z 1 17\n",
            T0 + 3_000_000_000,
        ),
    ]);
    let html = tab(&store, false);
    let rows: Vec<&str> = html.lines().filter(|l| l.starts_with("<section")).collect();
    assert_eq!(
        rows,
        [
            "<section class=\"group\" data-path=\"job@base64/ag/a@base64/PHNjcmlwdD4=\"><details><summary>\
             <span class=\"badge job\">job=&#34;j&#34;</span> <span class=\"badge label\">a=&#34;&lt;script&gt;&#34;</span> \
             <span class=\"times\">last push 2025-04-09T10:02:27Z &middot; <span class=\"failure\">last failure <span class=\"never\">never</span></span></span>\
             </summary><div class=\"families\"></div></details><button type=\"button\" class=\"danger small delete-group\">Delete Group</button></section>",
            "<section class=\"group failed\" data-path=\"job@base64/ag/instance@base64/aQ=\"><details><summary>\
             <span class=\"badge job\">job=&#34;j&#34;</span> <span class=\"badge instance\">instance=&#34;i&#34;</span> \
             <span class=\"badge failed\">Last push failed!</span> \
             <span class=\"times\">last push <span class=\"never\">never</span> &middot; <span class=\"failure\">last failure 2025-04-09T10:02:30Z</span></span>\
             </summary><div class=\"families\"></div></details><button type=\"button\" class=\"danger small delete-group\">Delete Group</button></section>",
            "<section class=\"group\" data-path=\"job@base64/ag\"><details><summary>\
             <span class=\"badge job\">job=&#34;j&#34;</span> \
             <span class=\"times\">last push 2025-04-09T10:02:27Z &middot; <span class=\"failure\">last failure <span class=\"never\">never</span></span></span>\
             </summary><div class=\"families\"></div></details><button type=\"button\" class=\"danger small delete-group\">Delete Group</button></section>",
        ]
    );
    assert!(html.contains("<span id=\"group-count\">3</span>"));
    assert!(html.contains("<p class=\"empty\" id=\"no-groups\" hidden>"));
    assert!(!html.contains("expires"));

    // With --push.group-ttl: the TTL after the last push, or after the creation when a failed
    // push created the group.
    let html = tab_with(&store, false, Some(Duration::from_secs(90)));
    let times: Vec<&str> = html
        .lines()
        .filter_map(|l| l.split("<span class=\"times\">").nth(1))
        .collect();
    assert_eq!(
        times,
        [
            "last push 2025-04-09T10:02:27Z &middot; <span class=\"failure\">last failure <span class=\"never\">never</span></span> &middot; <span class=\"expiry\">expires 2025-04-09T10:03:57Z</span></span></summary><div class=\"families\"></div></details><button type=\"button\" class=\"danger small delete-group\">Delete Group</button></section>",
            "last push <span class=\"never\">never</span> &middot; <span class=\"failure\">last failure 2025-04-09T10:02:30Z</span> &middot; <span class=\"expiry\">expires 2025-04-09T10:04:00Z</span></span></summary><div class=\"families\"></div></details><button type=\"button\" class=\"danger small delete-group\">Delete Group</button></section>",
            "last push 2025-04-09T10:02:27Z &middot; <span class=\"failure\">last failure <span class=\"never\">never</span></span> &middot; <span class=\"expiry\">expires 2025-04-09T10:03:57Z</span></span></summary><div class=\"families\"></div></details><button type=\"button\" class=\"danger small delete-group\">Delete Group</button></section>",
        ]
    );
}

#[test]
fn group_body_of_every_type() {
    let body = "\
# TYPE c counter
# HELP c Help <b>&</b>
c{x=\"<i>\"} 1e+21
# TYPE s summary
s{quantile=\"0.5\"} 0.00001
s_sum 1795801974.4005775
s_count 10000000
# TYPE h histogram
h_bucket{le=\"0.25\"} 1
h_bucket{le=\"+Inf\"} 2
h_sum -0
h_count 2
";
    let store = store_with(&[(&[("job", "j")], body, T0)]);
    let group = store.group(&key(&[("job", "j")])).expect("group stored");
    let html = group_body(group, false, &Zone::utc());
    let lines: Vec<&str> = html.lines().collect();
    let head = |name: &str, extra: &str, mtype: &str| {
        format!(
            "<details class=\"family\" data-state=\"job@base64/ag {name}\"><summary><span class=\"name\">{name}</span> {extra}\
             <span class=\"badge type\">{mtype}</span> <span class=\"times\">last pushed 2025-04-09T10:02:27Z</span></summary>"
        )
    };
    let table =
        "<table class=\"series\"><thead><tr><th>Labels</th><th>Value</th></tr></thead><tbody>";
    let badges = "<span class=\"badge instance\">instance=&#34;&#34;</span> <span class=\"badge job\">job=&#34;j&#34;</span> ";
    let end = "</tbody></table></details>";
    let want = [
        head("c", "<span class=\"badge help\">Help &lt;b&gt;&amp;&lt;/b&gt;</span> ", "COUNTER"),
        table.to_string(),
        format!("<tr><td>{badges}<span class=\"badge label\">x=&#34;&lt;i&gt;&#34;</span> </td><td>1000000000000000000000</td></tr>"),
        end.to_string(),
        head("h", "", "HISTOGRAM"),
        table.to_string(),
        format!(
            "<tr><td>{badges}</td><td><table class=\"value\">\
             <tr><th>Sample values &le; 0.25</th><td>1</td></tr>\
             <tr><th>Sample values &le; +Inf</th><td>2</td></tr>\
             <tr><th>Total Sample Count</th><td>2</td></tr>\
             <tr><th>Sample Sum</th><td>-0</td></tr></table></td></tr>"
        ),
        end.to_string(),
        head(
            "push_failure_time_seconds",
            "<span class=\"badge help\">Last Unix time when changing this group in the Pushgateway failed.</span> ",
            "GAUGE",
        ),
        table.to_string(),
        format!("<tr><td>{badges}</td><td>0</td></tr>"),
        end.to_string(),
        head(
            "push_time_seconds",
            "<span class=\"badge help\">Last Unix time when changing this group in the Pushgateway succeeded.</span> ",
            "GAUGE",
        ),
        table.to_string(),
        format!("<tr><td>{badges}</td><td>1744192947.7166057</td></tr>"),
        end.to_string(),
        head("s", "", "SUMMARY"),
        table.to_string(),
        format!(
            "<tr><td>{badges}</td><td><table class=\"value\">\
             <tr><th>Quantile 0.5</th><td>0.00001</td></tr>\
             <tr><th>Sample Count</th><td>10000000</td></tr>\
             <tr><th>Sample Sum</th><td>1795801974.4005775</td></tr></table></td></tr>"
        ),
        end.to_string(),
    ];
    assert_eq!(lines, want);
}
