// The local /docs page: Swagger UI whose "Try it out" signs each request with SigV4 (aws4fetch),
// for the key pair the local server put into the page's #docs-config element.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("docs-config").textContent);
  const errorBox = document.getElementById("signing-error");

  function showError(message) {
    errorBox.textContent = message;
  }

  // The page calls the server that served it, whatever the document's `servers` say (they name
  // the deployed stage). Its security schemes are dropped: the page signs every call itself, so
  // an "Authorize" dialog could only send a header the signature then replaces.
  function forThisServer(spec) {
    spec.servers = [{ url: window.location.origin, description: "this local server" }];
    if (spec.components) {
      delete spec.components.securitySchemes;
    }
    delete spec.security;
    Object.values(spec.paths || {}).forEach((pathItem) => {
      Object.values(pathItem).forEach((operation) => {
        if (operation && typeof operation === "object") {
          delete operation.security;
        }
      });
    });
    return spec;
  }

  async function signed(request) {
    const url = new URL(request.url, window.location.href);
    if (url.origin !== window.location.origin || !config.signing) {
      return request;
    }
    if (typeof aws4fetch === "undefined" || !window.crypto || !window.crypto.subtle) {
      showError(
        typeof aws4fetch === "undefined"
          ? "The SigV4 library did not load (/docs/aws4fetch.js): run `make run`, which installs it."
          : "This browser offers no WebCrypto on this page (serve it from 127.0.0.1 or localhost)."
      );
      return request;
    }
    const signing = config.signing;
    const signer = new aws4fetch.AwsV4Signer({
      method: request.method,
      url: url.href,
      headers: request.headers,
      body: request.body,
      accessKeyId: signing.accessKeyId,
      secretAccessKey: signing.secretAccessKey,
      sessionToken: signing.sessionToken || undefined,
      service: signing.service,
      region: signing.region,
    });
    const result = await signer.sign();
    // Headers lower-cases names: replace the object so no header is sent twice in two spellings.
    request.headers = Object.fromEntries(result.headers.entries());
    request.url = result.url.toString();
    return request;
  }

  fetch(config.specUrl)
    .then((response) => {
      if (!response.ok) {
        throw new Error(config.specUrl + " answered " + response.status);
      }
      return response.json();
    })
    .then((spec) => {
      window.ui = SwaggerUIBundle({
        spec: forThisServer(spec),
        dom_id: "#swagger-ui",
        deepLinking: true,
        // Swagger UI waits for a returned Promise before it sends the request.
        requestInterceptor: (request) =>
          signed(request).catch((error) => {
            showError("Signing failed: " + error);
            return request;
          }),
      });
    })
    .catch((error) => showError("Cannot load the API description: " + error));
})();
