/* /api/docs: render the OpenAPI document (URL in data-spec-url) with the vendored Swagger UI.
 * No online validator (validatorUrl null): the page talks only to this app. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") { return; }
  window.sopflowApiDocs = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
    onComplete: function () { root.setAttribute("data-ready", "ya"); }
  });
})();
