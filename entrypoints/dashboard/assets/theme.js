// The dashboard follows the browser's light or dark preference. Panel chooses a session's theme
// from its address (?theme=dark) when the session starts, so a page whose address disagrees with
// the browser asks for the address that agrees, before anything is drawn or any data is read.
(function () {
  const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  const url = new URL(window.location.href);
  if ((url.searchParams.get("theme") === "dark") !== dark) {
    if (dark) {
      url.searchParams.set("theme", "dark");
    } else {
      url.searchParams.delete("theme");
    }
    window.location.replace(url.toString());
  }
})();
