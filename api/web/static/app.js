// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  function announce(text) {
    var live = document.getElementById("live");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // A form that failed: the error summary takes the focus (it has autofocus too).
  function focusErrors(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary) { summary.focus(); return true; }
    return false;
  }

  // The long text fields count down their characters.
  function count(area) {
    var out = document.getElementById(area.getAttribute("data-count"));
    var max = parseInt(area.getAttribute("maxlength"), 10);
    if (out && max) { out.textContent = "Noch " + (max - area.value.length) + " von " + max + " Zeichen."; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrors(document);
    document.querySelectorAll("textarea[data-count]").forEach(count);
    document.querySelectorAll(".skill-picker[hidden]").forEach(function (el) { el.hidden = false; });
    sessionWarning();
    // Back from "Vergleich nicht möglich": the vacancies chosen are ticked again (at most three).
    new URLSearchParams(window.location.search).getAll("v").slice(0, 3).forEach(function (id) {
      var box = document.getElementById("cmp-" + id);
      if (box && box.matches("input[name='v'][form='compare']")) box.checked = true;
    });
  });
  // Enter in the skills search field does not leave the form (the picker answers while typing).
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.id === "skill_q") event.preventDefault();
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-count]")) count(event.target);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); return; }
    // "Übernehmen": the suggested KldB code goes into the form's field (no post, nothing else changes).
    var take = event.target.closest("[data-take-kldb]");
    if (take) {
      var field = document.getElementById(take.getAttribute("data-field"));
      if (field) {
        event.preventDefault();
        field.value = take.getAttribute("data-take-kldb");
        field.focus();
        announce("Kennziffer " + field.value + " übernommen.");
      }
      return;
    }
    // The skills picker: a suggestion is added to the skills field (one per line).
    var add = event.target.closest("[data-add-skill]");
    if (add) {
      var skills = document.getElementById("skills");
      if (!skills) return;
      event.preventDefault();
      var label = add.getAttribute("data-add-skill");
      var lines = skills.value.split(/\n|;/).map(function (s) { return s.trim(); }).filter(Boolean);
      if (lines.indexOf(label) < 0) lines.push(label);
      skills.value = lines.join("\n");
      announce("„" + label + "“ hinzugefügt.");
    }
  });

  // At most three vacancies to compare: a fourth tick is undone with a message beside the box.
  // No custom validity is left behind, so the compare button always works.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[name='v'][form='compare']")) return;
    document.querySelectorAll(".compare-msg").forEach(function (el) { el.remove(); });
    var checked = document.querySelectorAll("input[name='v'][form='compare']:checked");
    if (checked.length > 3) {
      box.checked = false;
      var msg = document.createElement("p");
      msg.className = "error compare-msg";
      msg.setAttribute("role", "alert");
      msg.textContent = "Höchstens drei Stellen vergleichen.";
      box.closest("label").insertAdjacentElement("afterend", msg);
    }
  });

  // After htmx replaced the list: keep the focus on the page (WCAG 2.4.3) and say the new count.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "liste") return;
    var list = document.getElementById("liste");
    if (focusErrors(list)) return;
    var active = document.activeElement;
    if (!active || active === document.body || !document.body.contains(active)) {
      var heading = document.getElementById("ergebnisse-titel");
      if (heading) heading.focus();
    }
    var counted = list && list.querySelector("[data-announce]");
    if (counted) announce(counted.textContent.trim());
  });

  // Sessions end after a while without a request: warn two minutes before, with "Sitzung verlängern".
  var warnTimer = null;
  function sessionWarning() {
    var idle = parseInt(document.body.getAttribute("data-idle-seconds") || "0", 10);
    var box = document.getElementById("sitzung");
    if (!idle || !box) return;
    if (warnTimer) window.clearTimeout(warnTimer);
    box.hidden = true;
    warnTimer = window.setTimeout(function () {
      box.hidden = false;
      var button = box.querySelector("button");
      if (button) button.focus();
    }, Math.max(idle - 120, 5) * 1000);
  }
  document.addEventListener("htmx:afterRequest", sessionWarning);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-extend-session]")) return;
    event.preventDefault();
    var prefix = document.body.getAttribute("data-prefix") || "/app";
    fetch(prefix + "/sitzung", { method: "GET", credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.ok) { sessionWarning(); announce("Sitzung verlängert."); }
        else { window.location.href = prefix + "/login?expired=1&next=" + encodeURIComponent(window.location.pathname + window.location.search); }
      });
  });
})();
