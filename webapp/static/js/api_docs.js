/* /api/docs: render the OpenAPI document (URL in data-spec-url) with the vendored Swagger UI.
 * No online validator (validatorUrl null): the page talks only to this app. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") { return; }
  window.sopflowApiDocs = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: false,  /* its link inside each operation's summary button nests two controls */
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
    onComplete: function () {
      var servers = root.querySelector("select#servers");
      if (servers) { servers.setAttribute("aria-label", "Server API"); }
      root.setAttribute("data-ready", "ya");
    }
  });
})();
