// Pickers (tracker.lib.widgets.Picker): a text input holding the value(s) becomes a
// combobox that asks the server for matches as the person types (at most a few
// dozen, within what they may read). One value: the chosen row's label shows in
// the input and its value goes in a hidden input of the same name. Several: each
// chosen row is a removable chip with its own hidden input.
// Keyboard: ↓/↑ move through the matches, Enter chooses, Escape closes the list
// (and, pressed again, restores what was chosen); Backspace in an empty search
// removes the last chip. Without JavaScript the text input itself is submitted.
(() => {
  let counter = 0;

  function enhance(root) {
    const original = root.querySelector("input[type=text]");
    if (!original || root.dataset.enhanced) return;
    root.dataset.enhanced = "true";
    const multiple = root.classList.contains("picker-multiple");
    const key = root.dataset.valueKey || "id";
    const name = original.name;
    const uid = `picker-${++counter}`;
    const chosen = new Map(); // value -> label
    for (const chip of root.querySelectorAll(".picker-picked .picker-chip")) {
      chosen.set(chip.dataset.value, chip.textContent);
    }
    root.querySelector(".picker-picked")?.remove();

    // The visible search box takes the original's id (so its <label> still
    // points at it) and its accessible description; values go in hidden inputs.
    const input = document.createElement("input");
    input.type = "text";
    input.id = original.id;
    input.autocomplete = "off";
    input.spellcheck = false;
    input.className = "picker-input";
    input.placeholder = original.placeholder || (multiple ? "Type to add…" : "Type to search…");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", `${uid}-list`);
    for (const attr of ["aria-describedby", "aria-invalid"]) {
      if (original.hasAttribute(attr)) input.setAttribute(attr, original.getAttribute(attr));
    }
    const list = document.createElement("ul");
    list.id = `${uid}-list`;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    const chips = document.createElement("span");
    chips.className = "picker-chips";
    const values = document.createElement("span");
    values.hidden = true;

    original.remove();
    if (multiple) root.append(chips);
    root.append(input, list, values);

    function hidden(value) {
      const field = document.createElement("input");
      field.type = "hidden";
      field.name = name;
      field.value = value;
      return field;
    }

    function changed() {
      // Filter forms (htmx) listen for "change" on their inputs.
      const field = values.querySelector("input") || values;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function draw() {
      values.replaceChildren(...[...chosen.keys()].map(hidden));
      if (!multiple) {
        if (!chosen.size) values.append(hidden(""));
        input.value = chosen.size ? [...chosen.values()][0] : "";
        return;
      }
      chips.replaceChildren(
        ...[...chosen].map(([value, label]) => {
          const chip = document.createElement("span");
          chip.className = "picker-chip";
          chip.textContent = label;
          const remove = document.createElement("button");
          remove.type = "button";
          remove.className = "picker-remove";
          remove.textContent = "×";
          remove.setAttribute("aria-label", `Remove ${label}`);
          remove.addEventListener("click", () => {
            chosen.delete(value);
            draw();
            changed();
            input.focus();
          });
          chip.append(remove);
          return chip;
        }),
      );
    }

    let results = [];
    let active = -1;
    let timer = null;
    let controller = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      active = index;
      list.querySelectorAll("[role=option]").forEach((option, i) => {
        option.setAttribute("aria-selected", String(i === index));
        if (i === index) {
          input.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        }
      });
    }

    function show(answer) {
      results = answer.results.filter((row) => !(multiple && chosen.has(String(row[key]))));
      const options = results.map((row, i) => {
        const option = document.createElement("li");
        option.id = `${uid}-option-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = row.label;
        option.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the input
          choose(i);
        });
        return option;
      });
      if (!options.length) {
        const none = document.createElement("li");
        none.className = "picker-note";
        none.textContent = "No match";
        options.push(none);
      } else if (answer.more) {
        const more = document.createElement("li");
        more.className = "picker-note";
        more.textContent = "More match: keep typing to narrow them down";
        options.push(more);
      }
      list.replaceChildren(...options);
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(results.length ? 0 : -1);
    }

    async function search() {
      const url = new URL(root.dataset.picker, window.location.href);
      url.searchParams.set("q", input.value.slice(0, 100));
      for (const [attr, value] of Object.entries(root.dataset)) {
        if (attr.startsWith("param") && attr.length > 5) {
          url.searchParams.set(attr.slice(5).toLowerCase(), value);
        }
      }
      controller?.abort();
      controller = new AbortController();
      try {
        const response = await fetch(url, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: controller.signal,
        });
        if (response.ok) show(await response.json());
      } catch (error) {
        if (error.name !== "AbortError") close();
      }
    }

    function choose(index) {
      const row = results[index];
      if (!row) return;
      const value = String(row[key]);
      if (!multiple) chosen.clear();
      chosen.set(value, row.label);
      draw();
      close();
      if (multiple) input.value = "";
      changed();
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      if (!multiple && input.value.trim() === "" && chosen.size) {
        chosen.clear();
        draw();
        changed();
      }
      timer = setTimeout(search, 200);
    });
    input.addEventListener("focus", () => {
      if (multiple || !chosen.size) search();
    });
    // Its own "change" would make a filter form submit the search text.
    input.addEventListener("change", (event) => event.stopPropagation());
    input.addEventListener("blur", () => {
      close();
      if (!multiple) draw(); // back to the chosen row's label
      else input.value = "";
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) {
          search();
          return;
        }
        if (!results.length) return;
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + results.length) % results.length);
      } else if (event.key === "Enter") {
        if (open) {
          event.preventDefault(); // choosing does not submit the form
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (!multiple) {
          draw();
        }
      } else if (event.key === "Backspace" && multiple && input.value === "" && chosen.size) {
        chosen.delete([...chosen.keys()].pop());
        draw();
        changed();
      }
    });

    draw();
  }

  function enhanceAll(scope) {
    for (const root of (scope || document).querySelectorAll(".picker[data-picker]")) {
      enhance(root);
    }
  }

  document.addEventListener("DOMContentLoaded", () => enhanceAll(document));
  // Rows htmx swaps in (the inbox's triage forms) bring their own pickers.
  document.addEventListener("htmx:load", (event) => enhanceAll(event.target));
})();
