// Starts the vendored Swagger UI (static/vendor/swagger-ui/) on the API docs page.
// A separate file because the Content-Security-Policy (script-src 'self') forbids inline script.
"use strict";

(function () {
  // The session's CSRF token, sent as X-CSRF-Token so "Try it out" works on state-changing requests.
  // Only sent to this origin, so a server listed in the OpenAPI document can never receive it.
  function withCsrfToken(req) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      var target;
      try {
        target = new URL(req.url, window.location.href);
      } catch (e) {
        return req;
      }
      if (target.origin === window.location.origin) {
        req.headers = req.headers || {};
        req.headers["X-CSRF-Token"] = meta.content;
      }
    }
    return req;
  }

  document.addEventListener("DOMContentLoaded", function () {
    window.ui = SwaggerUIBundle({
      url: "/api/v1/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      requestInterceptor: withCsrfToken,
    });
  });
})();
