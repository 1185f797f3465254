// The presenter page follows the chat's round through server-sent events (adapters/web/live.py): a "stage"
// event replaces the stage (the server escaped it), a "votes" event only the number of votes.  The stage carries
// the chat's language and the page's own texts, so a /lang reaches the title and the status line too.  A file of
// its own, so the page runs under `script-src 'self'` with no inline script.
"use strict";
(() => {
  const root = document.getElementById("present");
  const stage = document.getElementById("stage");
  const status = document.getElementById("status");
  const scene = () => stage.querySelector(".scene").dataset;
  const show = (state) => {
    root.dataset.state = state;
    status.textContent = state === "live" ? "" : scene()[state];
  };

  function adopt() {
    const shown = stage.querySelector(".scene");
    document.documentElement.lang = shown.lang;
    document.title = shown.dataset.title;
  }

  // A projector cannot scroll: shrink the type (down to 55 %) until the stage fits the window.
  function fit() {
    let scale = 1;
    stage.style.setProperty("--fit", "1");
    while (document.documentElement.scrollHeight > window.innerHeight && scale > 0.55) {
      scale -= 0.05;
      stage.style.setProperty("--fit", scale.toFixed(2));
    }
  }

  function connect() {
    const source = new EventSource(root.dataset.events);
    source.onopen = () => show("live");
    source.addEventListener("stage", (event) => {
      stage.innerHTML = JSON.parse(event.data);
      adopt();
      fit();
    });
    source.addEventListener("votes", (event) => {
      const votes = document.getElementById("votes");
      if (votes) votes.textContent = String(JSON.parse(event.data));
    });
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) {
        show("reconnecting"); // the browser tries again by itself
        return;
      }
      // The server answered with an error: the link was revoked (404), or a proxy stands in for a bot that restarts.
      source.close();
      fetch(window.location.href, { method: "HEAD", cache: "no-store" })
        .then((response) => (response.status === 404 ? show("gone") : retry()))
        .catch(retry);
    };
  }

  function retry() {
    show("reconnecting");
    window.setTimeout(connect, 3000);
  }

  window.addEventListener("resize", fit);
  fit();
  connect();
})();
