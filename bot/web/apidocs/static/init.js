// Starts the vendored Swagger UI (a file, not an inline script, for the Content-Security-Policy).
window.addEventListener("load", function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.openapiUrl, dom_id: "#swagger-ui" });
});
