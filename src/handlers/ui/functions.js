// pushgateway-rs web UI: opens groups (fetching their families), deletes groups, wipes, filters,
// and remembers which panels were open for the browser session. Served as static/functions.js,
// the name upstream's page used. The server writes each group's path (job@base64/... as in a
// push URL) into data-path; every URL here is that path behind a fixed prefix, relative to the
// page, so the UI works under any route prefix or proxy path. Keep this file ASCII and
// dependency-free.
"use strict";

(function () {
  var STATE_KEY = "pushgateway.open";

  // The group's families, as an HTML fragment rendered by the server.
  function groupUrl(path) {
    return "?group=" + path;
  }

  // The delete endpoint of the group (spec 11.1).
  function deleteUrl(path) {
    return "metrics/" + path;
  }

  // Groups are remembered by their path, families by the data-state the server gave them.
  function stateKey(details) {
    if (details.dataset.state !== undefined) {
      return details.dataset.state;
    }
    var group = details.parentElement;
    return group.classList.contains("group") ? group.dataset.path : undefined;
  }

  function openStates() {
    try {
      return JSON.parse(sessionStorage.getItem(STATE_KEY) || "[]");
    } catch (e) {
      return [];
    }
  }

  function saveStates(states) {
    try {
      sessionStorage.setItem(STATE_KEY, JSON.stringify(states));
    } catch (e) {
      // Storage full or disabled: the panels simply start closed next time.
    }
  }

  function rememberOpen(details) {
    var key = stateKey(details);
    if (key === undefined) {
      return;
    }
    var states = openStates().filter(function (k) { return k !== key; });
    if (details.open) {
      states.push(key);
    }
    saveStates(states);
  }

  // A deleted group's panels (its own and its families', "<path> <family>") are forgotten.
  function forgetGroup(path) {
    saveStates(openStates().filter(function (k) {
      return k !== path && k.indexOf(path + " ") !== 0;
    }));
  }

  // Reopens the remembered panels below root; opening a group fires its toggle event, which
  // loads it.
  function restoreOpen(root) {
    var wanted = new Set(openStates());
    if (wanted.size === 0) {
      return;
    }
    root.querySelectorAll("details").forEach(function (details) {
      if (wanted.has(stateKey(details))) {
        details.open = true;
      }
    });
  }

  function loadGroup(details) {
    var group = details.parentElement;
    if (!group.classList.contains("group") || details.dataset.loaded) {
      return;
    }
    var target = details.querySelector(".families");
    details.dataset.loaded = "1";
    fetch(groupUrl(group.dataset.path), { headers: { Accept: "text/html" } })
      .then(function (resp) {
        return resp.text().then(function (text) {
          if (!resp.ok) {
            throw new Error(text.trim() || resp.statusText);
          }
          // Rendered and escaped by the server.
          target.innerHTML = text;
          restoreOpen(target);
        });
      })
      .catch(function (err) {
        delete details.dataset.loaded;
        var p = document.createElement("p");
        p.className = "error";
        p.textContent = "Loading this group failed: " + err.message;
        target.replaceChildren(p);
      });
  }

  function setGroupCount(n) {
    ["group-count", "delete-all-count"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) {
        el.textContent = String(n);
      }
    });
    var all = document.getElementById("delete-all");
    if (all) {
      all.disabled = n === 0;
    }
    document.getElementById("no-groups").hidden = n !== 0;
  }

  function groupCount() {
    return document.querySelectorAll("#groups > .group").length;
  }

  function failureText(resp) {
    return resp.text().then(function (text) {
      return text.trim() || resp.status + " " + resp.statusText;
    });
  }

  // {job="...", instance="..."} from the group's badges, job first as they are.
  function groupText(group) {
    var badges = group.querySelectorAll("summary .badge:not(.failed)");
    return "{" + Array.prototype.map.call(badges, function (b) { return b.textContent; }).join(", ") + "}";
  }

  function deleteGroup(button) {
    var group = button.closest(".group");
    var question = "Do you really want to delete all metrics of group " + groupText(group) + "?";
    if (!window.confirm(question)) {
      return;
    }
    button.disabled = true;
    fetch(deleteUrl(group.dataset.path), { method: "DELETE" })
      .then(function (resp) {
        if (!resp.ok) {
          return failureText(resp).then(function (text) { throw new Error(text); });
        }
        group.remove();
        forgetGroup(group.dataset.path);
        setGroupCount(groupCount());
      })
      .catch(function (err) {
        button.disabled = false;
        window.alert("Deleting metric group failed: " + err.message);
      });
  }

  function deleteAll(button) {
    if (!window.confirm("Do you really want to delete all metrics from all metric groups?")) {
      return;
    }
    button.disabled = true;
    fetch(button.dataset.url, { method: "PUT" })
      .then(function (resp) {
        if (!resp.ok) {
          return failureText(resp).then(function (text) { throw new Error(text); });
        }
        document.getElementById("groups").replaceChildren();
        saveStates([]);
        setGroupCount(0);
      })
      .catch(function (err) {
        button.disabled = false;
        window.alert("Deleting all metric groups failed: " + err.message);
      });
  }

  // The summary text of every group, lower-cased once, for filtering thousands of groups.
  var filterIndex = null;

  function filterGroups(query) {
    if (filterIndex === null) {
      filterIndex = Array.prototype.map.call(
        document.querySelectorAll("#groups > .group"),
        function (group) {
          return [group, group.querySelector("summary").textContent.toLowerCase()];
        });
    }
    var q = query.trim().toLowerCase();
    filterIndex.forEach(function (entry) {
      entry[0].hidden = q !== "" && entry[1].indexOf(q) < 0;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // toggle does not bubble, but capturing listeners on the document see it.
    document.addEventListener("toggle", function (event) {
      var details = event.target;
      if (!(details instanceof HTMLDetailsElement)) {
        return;
      }
      rememberOpen(details);
      if (details.open) {
        loadGroup(details);
      }
    }, true);

    document.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) {
        return;
      }
      if (button.classList.contains("delete-group")) {
        deleteGroup(button);
      } else if (button.id === "delete-all") {
        deleteAll(button);
      }
    });

    var filter = document.getElementById("filter");
    if (filter) {
      filter.addEventListener("input", function () { filterGroups(filter.value); });
    }

    restoreOpen(document);
  });
})();
