/* Moddle extension of the spiffworkflow namespace: the properties, service operator and form
   filename that sopflow reads from a BPMN file. bpmn-js keeps them through importXML/saveXML. */
(function (root) {
  "use strict";
  function attr(name) { return { name: name, type: "String", isAttr: true }; }
  root.SOPFLOW_SPIFF_MODDLE = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Properties", superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"], properties: [attr("name"), attr("value")] },
      { name: "ServiceTaskOperator", superClass: ["Element"],
        properties: [attr("id"), attr("resultVariable"), { name: "parameters", type: "Parameters" }] },
      { name: "Parameters", superClass: ["Element"],
        properties: [{ name: "parameters", type: "Parameter", isMany: true }] },
      { name: "Parameter", superClass: ["Element"], properties: [attr("id"), attr("type"), attr("value")] },
      { name: "FormJsonSchemaFilename", superClass: ["Element"],
        properties: [{ name: "value", type: "String", isBody: true }] }
    ]
  };
  if (typeof module !== "undefined" && module.exports) { module.exports = root.SOPFLOW_SPIFF_MODDLE; }
})(typeof window !== "undefined" ? window : globalThis);
