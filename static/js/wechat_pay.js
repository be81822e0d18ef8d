/* The member's WeChat Pay page (templates/member_h5/pay/wechat_pay.html): opens WeChat's payment sheet with the
   signed parameters, at once inside WeChat and again on the button. Its data is the JSON block #wechat-pay-data:
   params, doneUrl, cashierUrl (the sandbox cashier, or null) and the status messages. */
(function () {
  var data = JSON.parse(document.getElementById('wechat-pay-data').textContent);
  var status = document.getElementById('pay-status');
  var messages = data.messages;

  function pay() {
    if (typeof WeixinJSBridge === 'undefined') {
      // Outside WeChat only the sandbox has somewhere to pay.
      if (data.cashierUrl) { window.location.href = data.cashierUrl; } else { status.textContent = messages.outside; }
      return;
    }
    WeixinJSBridge.invoke('getBrandWCPayRequest', data.params, function (res) {
      if (res.err_msg === 'get_brand_wcpay_request:ok') {
        // The notification, not this callback, credits the order; the next page shows its state.
        window.location.href = data.doneUrl;
      } else {
        status.textContent = res.err_msg === 'get_brand_wcpay_request:cancel' ? messages.cancel : messages.fail;
      }
    });
  }

  document.getElementById('pay-button').addEventListener('click', pay);
  if (typeof WeixinJSBridge !== 'undefined') {
    pay();
  } else {
    document.addEventListener('WeixinJSBridgeReady', pay, false);
  }
})();
