/* Learner-dashboard widget, shown by frontend-plugin-framework as an IFRAME_PLUGIN
   (inlined; CSP allows it by hash).

   FPF protocol (src/plugins/data/hooks.js, PluginContainerIframe.jsx): the plugin posts
   {type: "PLUGIN_MOUNTED"} and {type: "PLUGIN_READY"} to window.parent with the host's origin
   (document.referrer) as targetOrigin; the host shows the iframe once ready and posts
   {type: "PLUGIN_RESIZE", payload: {width, height}} back with the iframe's size. This page also
   posts its content size as {type: "PLUGIN_RESIZE", payload: {width, height}} so that a slot
   wrapper can fit the iframe's height to it. Messages go only to origins the server allows to
   frame this page (data-parent-origins), never to "*". */
(function () {
  "use strict";
  var allowed = (document.body.getAttribute("data-parent-origins") || "").split(" ").filter(Boolean);
  allowed.push(window.location.origin);
  var host = "";
  try { host = document.referrer ? new URL(document.referrer).origin : ""; } catch (e) { host = ""; }
  if (window.parent === window || allowed.indexOf(host) === -1) { return; }
  var post = function (message) { window.parent.postMessage(message, host); };
  var size = function () {
    var root = document.documentElement;
    return {width: root.scrollWidth, height: Math.ceil(document.body.getBoundingClientRect().height)};
  };
  var last = 0;
  var resize = function () {
    var current = size();
    if (current.height !== last) { last = current.height; post({type: "PLUGIN_RESIZE", payload: current}); }
  };
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== host || !event.data) { return; }
    if (event.data.type === "PLUGIN_RESIZE" && event.data.payload) {
      document.body.classList.toggle("widget--narrow", Number(event.data.payload.width) < 280);
      resize();
    }
  });
  post({type: "PLUGIN_MOUNTED"});
  post({type: "PLUGIN_READY"});
  resize();
  if (window.ResizeObserver) { new ResizeObserver(resize).observe(document.body); }
}());
