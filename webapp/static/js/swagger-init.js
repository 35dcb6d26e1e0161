// Starts Swagger UI on /api/openapi/index.html (webapp/templates/api/docs.html).
//
// The document to show comes from ?url=..., but only a path on this site is taken:
// a full address, a protocol-relative "//host" or "/\host" (which browsers read
// as "//host") falls back to the portal's own document, so a link can never make the
// page fetch and render a document from another origin.
(function () {
  "use strict";

  var DEFAULT_DOCUMENT = "/api/openapi.json";

  function isSameOriginPath(value) {
    if (typeof value !== "string" || value.charAt(0) !== "/" ||
        value.charAt(1) === "/" || value.charAt(1) === "\\") {
      return false;
    }
    // The URL parser drops tabs and newlines ("/\t/host" is "//host"): so the
    // address is also resolved and its origin compared with this page's.
    try {
      return new URL(value, window.location.origin).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  function documentUrl() {
    var requested = new URLSearchParams(window.location.search).get("url");
    return isSameOriginPath(requested) ? requested : DEFAULT_DOCUMENT;
  }

  function start() {
    window.ui = window.SwaggerUIBundle({
      url: documentUrl(),
      dom_id: "#swagger-ui",
      // No online validator badge: the page never calls validator.swagger.io.
      validatorUrl: null,
      // Swagger UI itself must not read ?url= or ?configUrl= past the check above.
      queryConfigEnabled: false,
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis],
      // BaseLayout needs nothing beyond swagger-ui-bundle.js (StandaloneLayout would
      // need swagger-ui-standalone-preset.js, which is not vendored).
      layout: "BaseLayout"
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
