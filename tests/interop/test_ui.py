"""The web UI over HTTP (spec §11), ours only (our page is our own design; the shared surface —
status codes, content types, routes under the prefix — is compared in test_http_compat.py):
groups listed with escaped labels, the exact delete URL the page's script sends, the group
fragment, the status tab, the static files and their caching headers, links under the external
path prefix."""

import html.parser
import json
import urllib.parse

import harness

SCRIPT_VALUE_PUSH = '# HELP m help with <em>tags</em>\n# TYPE m gauge\nm{v="<script>alert(1)</script>"} 1795801974.4005775\n'


class Page(html.parser.HTMLParser):
    """The parts of a page the tests read: each group row's data-path and badge texts, links."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.groups = []  # [{"path": str, "badges": [str], "failed": bool}]
        self.links = []  # href / src values
        self.scripts = 0
        self._badge = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "group" in a.get("class", "").split():
            self.groups.append({"path": a["data-path"], "badges": [], "failed": "failed" in a["class"]})
        if tag == "span" and "badge" in a.get("class", "").split() and self.groups:
            self._badge = ""
        if tag in ("a", "link") and "href" in a:
            self.links.append(a["href"])
        if tag == "script":
            self.scripts += 1
            self.links.append(a["src"])

    def handle_data(self, data):
        if self._badge is not None:
            self._badge += data

    def handle_endtag(self, tag):
        if tag == "span" and self._badge is not None:
            self.groups[-1]["badges"].append(self._badge)
            self._badge = None


def group_labels(server, prefix=""):
    doc = json.loads(server.request("GET", prefix + "/api/v1/metrics").text)
    return sorted(json.dumps(g["labels"], sort_keys=True) for g in doc["data"])


def resolve(page_path, relative):
    """What a browser requests for `relative` on the page at `page_path`."""
    return urllib.parse.urljoin("http://h" + page_path, relative)[len("http://h"):]


def test_page_lists_groups_with_escaped_labels(ours):
    assert ours.push("PUT", "/metrics/job/web/instance/i1/x/%3Cscript%3E", SCRIPT_VALUE_PUSH).status == 200
    assert ours.push("PUT", "/metrics/job/web", "a 1\n").status == 200
    resp = ours.request("GET", "/")
    assert resp.status == 200
    assert resp.header("Content-Type") == "text/html; charset=utf-8"
    assert "<title>Prometheus Pushgateway</title>" in resp.text
    # The pushed value is text, never markup: only our own script tag is in the page.
    assert "<script>" not in resp.text
    assert 'x=&#34;&lt;script&gt;&#34;' in resp.text
    page = Page(resp.text)
    assert page.scripts == 1
    # Ordered by the canonical grouping key: {instance, job, x} before {job}.
    assert [g["badges"] for g in page.groups] == [
        ['job="web"', 'instance="i1"', 'x="<script>"'],
        ['job="web"'],
    ]
    assert [g["path"] for g in page.groups] == [
        "job@base64/d2Vi/instance@base64/aTE=/x@base64/PHNjcmlwdD4=",
        "job@base64/d2Vi",
    ]


def test_group_fragment_renders_series_escaped(ours):
    assert ours.push("PUT", "/metrics/job/web/x/%3Cscript%3E", SCRIPT_VALUE_PUSH).status == 200
    page = Page(ours.request("GET", "/").text)
    (group,) = page.groups
    for page_path in ("/", "/status"):
        resp = ours.request("GET", resolve(page_path, "?group=" + group["path"]))
        assert resp.status == 200, resp.text
        assert resp.header("Content-Type") == "text/html; charset=utf-8"
        text = resp.text
        assert "<script>" not in text and "<em>" not in text
        assert "help with &lt;em&gt;tags&lt;/em&gt;" in text
        assert 'v=&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;' in text
        # Numbers in plain notation (spec §11.2).
        assert "<td>1795801974.4005775</td>" in text
        for family in ("m", "push_failure_time_seconds", "push_time_seconds"):
            assert f'<span class="name">{family}</span>' in text
    assert ours.request("GET", "/?group=job@base64/bm9uZQ").status == 404
    bad = ours.request("GET", "/?group=job/x")
    assert bad.status == 400 and bad.text == "group path must start with job@base64/\n"


def test_summary_and_histogram_rows(ours):
    body = ("# TYPE s summary\ns{quantile=\"0.5\"} 1e-05\ns_sum 1e+21\ns_count 10000000\n"
            "# TYPE h histogram\nh_bucket{le=\"0.25\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n")
    assert ours.push("PUT", "/metrics/job/sh", body).status == 200
    (group,) = Page(ours.request("GET", "/").text).groups
    text = ours.request("GET", "/?group=" + group["path"]).text
    for row in ["<th>Quantile 0.5</th><td>0.00001</td>", "<th>Sample Count</th><td>10000000</td>",
                "<th>Sample Sum</th><td>1000000000000000000000</td>",
                "<th>Sample values &le; 0.25</th><td>1</td>", "<th>Sample values &le; +Inf</th><td>2</td>",
                "<th>Total Sample Count</th><td>2</td>", "<th>Sample Sum</th><td>3</td>"]:
        assert row in text, row


def badge_labels(badges):
    """{name: value} from `name="value"` badges (names and values here have no quotes)."""
    return dict(b.replace('"', "").split("=", 1) for b in badges)


def test_delete_url_of_the_page_deletes_exactly_that_group(server_factory):
    """The script sends DELETE `metrics/<data-path>` relative to the page (functions.js)."""
    pushes = ["/metrics/job/d", "/metrics/job/d/instance/i/empty/", "/metrics/job@base64/ZC9l/a@base64/w6k",
              "/metrics/job/d/instance/i"]
    for args, prefix in [((), ""), (("--web.route-prefix=/pg",), "/pg")]:
        server = server_factory("ours", *args)
        for path in pushes:
            assert server.push("PUT", prefix + path, "x 1\n").status == 200, path
        remaining = set(group_labels(server, prefix))
        page = Page(server.request("GET", prefix + "/").text)
        assert len(page.groups) == len(pushes)
        for group in page.groups:
            url = resolve(prefix + "/", "metrics/" + group["path"])
            assert url.startswith(prefix + "/metrics/job@base64/"), url
            assert server.request("DELETE", url).status == 202
            after = set(group_labels(server, prefix))
            assert remaining - after == {json.dumps(badge_labels(group["badges"]), sort_keys=True)}
            remaining = after
        assert remaining == set()


def test_delete_url_with_utf8_label_names(server_factory):
    server = server_factory("ours", "--push.enable-utf8-names")
    assert server.push("PUT", "/metrics/job/u/U__a_2e_b/v/U__U____x/w", "x 1\n").status == 200
    (group,) = Page(server.request("GET", "/").text).groups
    assert group["badges"] == ['job="u"', 'U__x="w"', '"a.b"="v"']
    assert server.request("DELETE", "/metrics/" + group["path"]).status == 202
    assert group_labels(server) == []


def test_failed_push_is_flagged(ours):
    assert ours.push("PUT", "/metrics/job/f", "# TYPE x counter\nx 1\n").status == 200
    assert ours.push("PUT", "/metrics/job/f", "x 1 17\n").status == 400
    text = ours.request("GET", "/").text
    (group,) = Page(text).groups
    assert group["failed"]
    assert group["badges"] == ['job="f"', "Last push failed!"]


def test_delete_all_button_only_with_admin_api(server_factory):
    plain = server_factory("ours")
    assert 'id="delete-all"' not in plain.request("GET", "/").text
    admin = server_factory("ours", "--web.enable-admin-api")
    text = admin.request("GET", "/").text
    assert 'id="delete-all" data-url="api/v1/admin/wipe" disabled>' in text
    for job in ("a", "b"):
        assert admin.push("PUT", f"/metrics/job/{job}", "x 1\n").status == 200
    text = admin.request("GET", "/").text
    assert 'Delete All <span class="count" id="delete-all-count">2</span> Groups' in text
    assert admin.request("PUT", resolve("/", "api/v1/admin/wipe")).status == 202


def test_status_tab(server_factory):
    server = server_factory("ours", "--web.enable-lifecycle", "--web.external-url=http://x/?a=<b>")
    text = server.request("GET", "/status").text
    for needle in ["<h2>Runtime Information</h2>", "<h2>Build Information</h2>", "<h2>Startup Flags</h2>",
                   "<tr><th>web.enable-lifecycle</th><td>true</td></tr>",
                   "<tr><th>web.external-url</th><td>http://x/?a=&lt;b&gt;</td></tr>",
                   "<tr><th>persistence.interval</th><td>5m0s</td></tr>", "<th>goVersion</th><td>rustc "]:
        assert needle in text, needle
    assert " +0000 UTC</td></tr>" in text
    assert 'id="groups"' not in text


def test_links_follow_the_external_path_prefix(server_factory):
    cases = [
        ((), "", "."),
        (("--web.route-prefix=/rp",), "/rp", "."),
        (("--web.external-url=http://example.com/pg/",), "/pg", "/pg"),
        (("--web.external-url=http://example.com/pg/", "--web.route-prefix=/rp"), "/rp", "/pg"),
    ]
    for args, route_prefix, link_prefix in cases:
        server = server_factory("ours", *args)
        page = Page(server.request("GET", route_prefix + "/").text)
        local = [link for link in page.links if not link.startswith("https://")]
        assert local and all(link.startswith(link_prefix + "/") for link in local), (args, local)
        assert f"{link_prefix}/static/prometheus.css?v=" in " ".join(local)
        # Where the routes live, the assets are served.
        for link in local:
            path = urllib.parse.urlsplit(link).path
            if "/static/" in path:
                path = route_prefix + path[path.index("/static/"):]
                assert server.request("GET", path).status == 200, (args, path)


def test_static_files_types_and_caching(ours):
    expected = {"favicon.ico": "image/x-icon", "functions.js": "application/javascript; charset=utf-8",
                "prometheus.css": "text/css; charset=utf-8"}
    for name, content_type in expected.items():
        resp = ours.request("GET", f"/static/{name}?v=1")
        assert resp.status == 200, name
        assert resp.header("Content-Type") == content_type
        assert resp.header("Cache-Control") == "no-cache"
        etag, modified = resp.header("ETag"), resp.header("Last-Modified")
        assert etag.startswith('"') and etag.endswith('"') and modified.endswith(" GMT")
        again = ours.request("GET", f"/static/{name}", headers={"If-None-Match": etag})
        assert again.status == 304 and again.body == b"" and again.header("ETag") == etag
        since = ours.request("GET", f"/static/{name}", headers={"If-Modified-Since": modified})
        assert since.status == 304
        changed = ours.request("GET", f"/static/{name}", headers={"If-None-Match": '"other"'})
        assert changed.status == 200 and changed.body == resp.body
    assert ours.request("GET", "/static/favicon.ico").body[:4] == b"\x00\x00\x01\x00"
    for missing in ("/static/nope.css", "/static/", "/static/jquery/jquery.min.js"):
        resp = ours.request("GET", missing)
        assert resp.status == 404 and resp.text == "404 page not found\n", missing
