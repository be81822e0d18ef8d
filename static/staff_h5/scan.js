/* The staff page's scan button. Inside WeChat: wx.scanQRCode (JS-SDK, signed by /staff/jssdk-config).
 * Elsewhere, or when the JS-SDK cannot be configured: the phone camera through html5-qrcode.
 * Whatever is read goes, as read, into the manual-entry form, which is submitted with via=scan;
 * the server decides whether it is a member QR, an instrument QR or a printed code.
 * Libraries load only when needed, so the page stays light for staff who type codes. */
(function () {
  "use strict";

  var box = document.getElementById("scan");
  var button = document.getElementById("scan-button");
  var form = document.getElementById("lookup-form");
  if (!box || !button || !form) { return; }
  var status = document.getElementById("scan-status");
  var reader = document.getElementById("camera-reader");
  var stopArea = document.getElementById("camera-stop-area");
  var stopButton = document.getElementById("camera-stop");
  var data = box.dataset;
  var camera = null;
  var sent = false;

  function say(text) { status.textContent = text || ""; }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(script);
    });
  }

  // WeChat returns a 1-D barcode as "CODE_128,ABCD..."; a QR code as its text.
  function cleaned(text) {
    var value = String(text || "").trim();
    var barcode = /^[A-Z0-9_]+,(.+)$/.exec(value);
    return barcode && value.indexOf(".") === -1 ? barcode[1] : value;
  }

  // The till scans first (data-needs="amount" on its form): with no amount typed yet, keep what was read and ask
  // for the amount instead of sending a quote the server can only refuse.
  function missing() {
    var name = form.dataset.needs;
    var field = name && form.elements[name];
    return field && !String(field.value || "").trim() ? field : null;
  }

  function submit(text) {
    if (sent) { return; }
    form.elements.code.value = cleaned(text);
    form.elements.via.value = "scan";
    var field = missing();
    if (field) {
      say(form.dataset.msgNeeds);
      field.focus();
      return;
    }
    sent = true;
    say(data.msgSending);
    form.submit();
  }

  // --- inside WeChat -----------------------------------------------------------------------------------

  function wechatConfig() {
    var url = data.configUrl + "?url=" + encodeURIComponent(location.href.split("#")[0]);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || "config"); }
          return body;
        });
      });
  }

  function startWechat() {
    say(data.msgLoading);
    return Promise.all([loadScript(data.wechatLib), wechatConfig()]).then(function (results) {
      var config = results[1];
      return new Promise(function (resolve, reject) {
        window.wx.config({ debug: false, appId: config.appId, timestamp: config.timestamp,
                           nonceStr: config.nonceStr, signature: config.signature, jsApiList: config.jsApiList });
        window.wx.ready(resolve);
        window.wx.error(reject);
      });
    }).then(function () {
      say("");
      button.onclick = function () {
        window.wx.scanQRCode({ needResult: 1, scanType: ["qrCode", "barCode"],
                               success: function (result) { submit(result.resultStr); } });
      };
    });
  }

  // --- elsewhere: the camera ---------------------------------------------------------------------------

  function stopCamera() {
    var running = camera;
    camera = null;
    reader.hidden = true;
    stopArea.hidden = true;
    button.hidden = false;
    if (!running) { return Promise.resolve(); }
    try {
      return running.stop().catch(function () {});
    } catch (notStarted) {  // html5-qrcode throws when the camera never started
      return Promise.resolve();
    }
  }

  function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(data.msgNoCamera);
      return;
    }
    say(data.msgLoading);
    loadScript(data.cameraLib).then(function () {
      reader.hidden = false;
      stopArea.hidden = false;
      button.hidden = true;
      camera = new window.Html5Qrcode("camera-reader");
      return camera.start({ facingMode: "environment" }, { fps: 10, qrbox: { width: 240, height: 240 } },
        function (text) { stopCamera().then(function () { submit(text); }); },
        function () { /* no code in this frame yet */ });
    }).then(function () { say(data.msgAim); }, function () {
      say(data.msgNoCamera);
      stopCamera();
    });
  }

  function useCamera() {
    button.textContent = data.labelCamera;
    button.onclick = openCamera;
    stopButton.onclick = function () { stopCamera(); say(""); };
    button.hidden = false;
  }

  if (data.mode === "wechat") {
    button.hidden = false;
    startWechat().catch(function () {
      useCamera();
      say(data.msgWechatFailed);
    });
  } else {
    useCamera();
  }
})();
