"""The web UI in a real browser: Debian's headless Chromium (installed by scripts/test) renders our
page, runs its script against our server, and takes a screenshot.

The script is exercised through a small test page: the server's own page, saved to a file with a
`<base href>` pointing at the server (so the page's relative URLs, its script included, resolve
exactly as they do in place) and a few lines that answer the confirmation dialog, open a group
and press a Delete Group button. `--disable-web-security` lets that file page talk to the server;
`--virtual-time-budget` lets the page's fetches finish before the DOM is dumped. No remote
debugging protocol, no fixed sleeps.
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

import harness

CHROMIUM_TIMEOUT_S = 60
# Virtual (not wall-clock) time the page may run before the dump; fetches pause it.
VIRTUAL_TIME_BUDGET_MS = 10000


def chromium(*args, user_data_dir):
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium not installed (scripts/test installs Debian's chromium package)", pytrace=False)
    argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", f"--user-data-dir={user_data_dir}",
            "--window-size=1280,900", *args]
    out = subprocess.run(argv, capture_output=True, timeout=CHROMIUM_TIMEOUT_S, stdin=subprocess.DEVNULL,
                         preexec_fn=harness.die_with_parent)
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    return out.stdout.decode("utf-8", errors="replace")


@pytest.fixture
def profile():
    with tempfile.TemporaryDirectory(prefix="pgrs-chromium-") as d:
        yield d


def push_sample(server, prefix=""):
    assert server.push("PUT", prefix + "/metrics/job/batch/instance/x/a/%3Cscript%3E",
                       "# TYPE c counter\n# HELP c A counter <b>bold</b>\nc 3\n"
                       "# TYPE s summary\ns{quantile=\"0.5\"} 1.5\ns_sum 12\ns_count 7\n").status == 200
    for i in range(3):
        assert server.push("PUT", f"{prefix}/metrics/job/backup/instance/host{i}", f"b {i}.5\n").status == 200


def test_page_renders_with_labels_as_text(ours, profile):
    push_sample(ours)
    dom = chromium("--dump-dom", f"http://127.0.0.1:{ours.port}/", user_data_dir=profile)
    assert 'a="&lt;script&gt;"' in dom
    assert dom.count('class="group"') == 4
    assert "<title>Prometheus Pushgateway</title>" in dom


def test_screenshot(ours, profile, tmp_path):
    """Leaves the PNG in $PGRS_SCREENSHOT_DIR when set, to look at."""
    push_sample(ours)
    assert ours.push("PUT", "/metrics/job/backup/instance/host1", "x 1 17\n").status == 400
    out_dir = os.environ.get("PGRS_SCREENSHOT_DIR") or str(tmp_path)
    path = os.path.join(out_dir, "ui-metrics.png")
    chromium(f"--screenshot={path}", f"http://127.0.0.1:{ours.port}/", user_data_dir=profile)
    with open(path, "rb") as f:
        png = f.read()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


# Put before the page's own head: answers dialogs and records them, then runs the actions once
# the page's script has set itself up (it does so on DOMContentLoaded, before load).
TEST_PAGE_SCRIPT = """<base href="%(base)s"><script>
window.confirmed = [];
window.confirm = function (question) { window.confirmed.push(question); return true; };
window.alert = function (message) { document.body.dataset.alert = message; };
window.addEventListener("load", function () {
  var groups = document.querySelectorAll("#groups > .group");
  %(actions)s
  setTimeout(function () {
    document.body.dataset.confirmed = JSON.stringify(window.confirmed);
  }, 0);
});
</script>"""


def run_test_page(server, prefix, actions, profile, tmp_path):
    """The server's page with `actions` (JavaScript; `groups` holds the rows) run on load; the DOM
    once every fetch has finished."""
    base = f"http://127.0.0.1:{server.port}{prefix}/"
    page = server.request("GET", prefix + "/").text
    test_page = tmp_path / f"page-{server.port}.html"
    script = TEST_PAGE_SCRIPT % {"base": base, "actions": actions}
    test_page.write_text(page.replace("<head>", "<head>" + script, 1))
    dom = chromium("--disable-web-security", f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
                   "--dump-dom", test_page.as_uri(), user_data_dir=profile)
    assert "data-alert" not in dom, dom[-2000:]
    return dom


def stored_groups(server, prefix=""):
    return [g["labels"] for g in json.loads(server.request("GET", prefix + "/api/v1/metrics").text)["data"]]


def test_script_opens_and_deletes_groups(server_factory, profile, tmp_path):
    for args, prefix in [((), ""), (("--web.external-url=http://example.com/pg/",), "/pg")]:
        server = server_factory("ours", *args)
        push_sample(server, prefix)
        # Row 2 is {job="backup", instance="host1"} (rows are ordered by grouping key).
        actions = """groups[0].querySelector("details").open = true;
                     groups[2].querySelector(".delete-group").click();"""
        dom = run_test_page(server, prefix, actions, profile, tmp_path)
        # The confirmation named the group, job first.
        assert 'data-confirmed="[&quot;Do you really want to delete all metrics of group ' \
               '{job=\\&quot;backup\\&quot;, instance=\\&quot;host1\\&quot;}?&quot;]"' in dom, dom[-3000:]
        # The deleted row left the page, and the group left the server.
        assert dom.count('<section class="group"') == 3 and "aG9zdDE" not in dom  # base64 of host1
        assert '<span id="group-count">3</span>' in dom
        labels = stored_groups(server, prefix)
        assert {"instance": "host1", "job": "backup"} not in labels and len(labels) == 3
        # The opened group's families were fetched and inserted, still escaped.
        assert '<span class="name">c</span>' in dom and '<span class="name">s</span>' in dom
        assert "A counter &lt;b&gt;bold&lt;/b&gt;" in dom
        assert "<th>Quantile 0.5</th><td>1.5</td>" in dom


def test_script_filters_and_deletes_all(server_factory, profile, tmp_path):
    server = server_factory("ours", "--web.enable-admin-api")
    push_sample(server)
    actions = """var filter = document.getElementById("filter");
                 filter.value = "HOST1";
                 filter.dispatchEvent(new Event("input"));
                 document.body.dataset.shown = Array.prototype.filter.call(groups, function (g) {
                   return !g.hidden;
                 }).length;
                 document.getElementById("delete-all").click();"""
    dom = run_test_page(server, "", actions, profile, tmp_path)
    assert 'data-shown="1"' in dom
    assert 'data-confirmed="[&quot;Do you really want to delete all metrics from all metric groups?&quot;]"' in dom
    assert '<section class="group"' not in dom
    assert '<p class="empty" id="no-groups">' in dom
    assert 'id="delete-all" data-url="api/v1/admin/wipe" disabled=""' in dom
    assert stored_groups(server) == []
