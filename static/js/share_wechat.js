/* Member pages inside WeChat: the share menu (发送给朋友, 分享到朋友圈) sends a card whose link is a tracked join
   link (/h5/<slug>/j/<token>) of the channel shared to, with the merchant's title and card picture.
   The layout adds this script (id="wechat-share", data-config-url, data-wechat-lib) only when the page is opened in
   WeChat for a merchant with an official account. Anything that fails (no JS-SDK bridge, as in the simulated phone
   or a desktop browser; no ticket; a network error) leaves WeChat's own share of the page's address, silently. */
(function () {
  'use strict';

  var tag = document.getElementById('wechat-share');
  if (!tag || !/MicroMessenger/i.test(navigator.userAgent) || !window.fetch || !window.Promise) { return; }
  var data = tag.dataset;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function shareConfig() {
    var url = data.configUrl + '?url=' + encodeURIComponent(location.href.split('#')[0]);
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (answer) {
      if (!answer.ok) { throw new Error('share config ' + answer.status); }
      return answer.json();
    });
  }

  Promise.all([shareConfig(), loadScript(data.wechatLib)]).then(function (results) {
    var answer = results[0];
    var wx = window.wx;
    if (!wx || !answer.config) { return; }
    var config = answer.config;
    wx.config({ debug: false, appId: config.appId, timestamp: config.timestamp, nonceStr: config.nonceStr,
                signature: config.signature, jsApiList: config.jsApiList });
    wx.ready(function () {
      wx.updateAppMessageShareData({ title: answer.chat.title, desc: answer.chat.desc, link: answer.chat.link,
                                     imgUrl: answer.chat.imgUrl });
      wx.updateTimelineShareData({ title: answer.timeline.title, link: answer.timeline.link,
                                   imgUrl: answer.timeline.imgUrl });
    });
    wx.error(function () {});
  }).catch(function () {});
})();
