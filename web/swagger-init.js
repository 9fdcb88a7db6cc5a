// Starts Swagger UI on /api/docs (served as a file so the page's CSP forbids inline script).
"use strict";
window.addEventListener("load", () => {
  const container = document.getElementById("swagger-ui-container");
  const config = Object.assign(
    { url: container.dataset.specUrl, dom_id: "#swagger-ui-container" },
    JSON.parse(container.dataset.config || "{}"),
  );
  window.ui = window.SwaggerUIBundle(config);
});
