// Swagger UI on this server's OpenAPI document. A file of its own (not an inline script)
// so the page keeps the same Content-Security-Policy as the rest of the service.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
});
