/* 领取到微信卡包 on the member centre. Inside WeChat (its JS-SDK bridge present) the tap asks add.json for wx.config
   and the signed cardList, then calls wx.addCard; WeChat's own sheet adds the card and tells the official account
   (user_get_card). Without the bridge (the simulated phone, a desktop browser) the link is followed: in the sandbox
   it opens the phone's card package ready to add the card. */
(function () {
  'use strict';

  var button = document.getElementById('wechat-add-card');
  if (!button || !/MicroMessenger/i.test(navigator.userAgent) || !window.fetch || !window.Promise) { return; }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  button.addEventListener('click', function (event) {
    // WeChat injects its bridge into every page it shows; a browser that only says it is WeChat has none.
    if (!window.WeixinJSBridge) { return; }
    event.preventDefault();
    var url = button.dataset.configUrl + '?url=' + encodeURIComponent(location.href.split('#')[0]);
    var answer = fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('add card ' + response.status); }
        return response.json();
      });
    Promise.all([answer, loadScript(button.dataset.wechatLib)]).then(function (results) {
      var data = results[0];
      var wx = window.wx;
      if (!wx) { throw new Error('no JS-SDK'); }
      wx.config({ debug: false, appId: data.config.appId, timestamp: data.config.timestamp,
                  nonceStr: data.config.nonceStr, signature: data.config.signature,
                  jsApiList: data.config.jsApiList });
      wx.ready(function () {
        wx.addCard({ cardList: data.cardList, success: function () { button.hidden = true; } });
      });
    }).catch(function () {
      if (button.getAttribute('href') !== '#') { location.href = button.getAttribute('href'); }
    });
  });
})();
