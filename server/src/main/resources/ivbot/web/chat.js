/*
 * The candidate chat page. State kept in the browser:
 *   localStorage   ivbot.token       the bearer token (shared with /ops)
 *   localStorage   ivbot.session     the session_id, so that a refresh continues the conversation
 *   sessionStorage ivbot.transcript  the messages shown, so that a refresh shows them again
 *   localStorage   ivbot.explain     "1" while "附带判断依据" is ticked
 * With that box ticked every question is sent with "explain": true, and an answer that carries an
 * explanation gets a "为什么?" link that unfolds it: the model's top intents, the nearest training questions
 * and the question's characters shaded by their weight. The explanation belongs to the turn it came with, so
 * the session is exactly what it would be without it (re-asking a question to explain it would add a turn).
 * While a session exists and the page is visible, POST /v1/sessions/{id}/heartbeat every 30 s keeps it
 * alive on the server (its TTL is 600 s).
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'ivbot.token';
  var SESSION_KEY = 'ivbot.session';
  var TRANSCRIPT_KEY = 'ivbot.transcript';
  var EXPLAIN_KEY = 'ivbot.explain';
  var HEARTBEAT_MS = 30000;
  var REQUEST_TIMEOUT_MS = 15000;
  var MAX_TRANSCRIPT = 200;

  var MSG = {
    signIn: '登录已失效，请重新输入令牌',
    noToken: '请先输入访问令牌',
    busy: '系统繁忙，请稍候',
    network: '网络连接中断，请检查网络后重试',
    timeout: '请求超时，请稍后重试',
    restored: '已恢复会话',
    newChat: '已开始新对话',
    expired: '会话已过期，接下来的提问将开始新的对话',
    foreign: '该会话属于其他用户，已为您开始新对话，请重新发送',
    contextLost: '上下文暂不可用，本轮按新问题回答',
    explainBusy: '判断依据暂时繁忙，可取消勾选“附带判断依据”后重试',
    why: '为什么?',
    skipped: {
      no_model: '当前仅由规则回答，没有可解释的模型',
      deadline: '判断依据计算超时，本轮未给出',
      error: '判断依据计算出错，本轮未给出'
    }
  };
  // the Chinese names of the label contract's ids, shipped as data in /static/labels.js (loaded first)
  var LABELS = window.IVBOT_LABELS || { intents: {}, audiences: {} };

  var el = {};
  var sessionId = null;
  var transcript = [];
  var heartbeatTimer = null;
  var lastHeartbeatMs = 0;
  var heartbeatInFlight = false;
  var sending = false;
  var lastQuery = null;
  var alertKind = null;

  function storageGet(store, key) {
    try { return store.getItem(key); } catch (e) { return null; }
  }

  function storageSet(store, key, value) {
    try {
      if (value === null || value === undefined || value === '') { store.removeItem(key); } else { store.setItem(key, value); }
    } catch (e) { /* storage disabled: the page still works for this visit */ }
  }

  function token() {
    return el.token.value.trim();
  }

  function updateTokenState(bad) {
    var set = token() !== '';
    el.tokenState.textContent = bad ? '已失效' : (set ? '已设置' : '未设置');
    el.tokenState.className = 'token-state' + (bad ? ' bad' : (set ? ' set' : ''));
    el.token.setAttribute('aria-invalid', bad ? 'true' : 'false');
  }

  function showNotice(text) {
    el.notice.textContent = text;
    el.notice.hidden = !text;
  }

  function showAlert(kind, text, retry) {
    alertKind = kind;
    el.alertText.textContent = text;
    el.alert.className = 'alert' + (kind === 'busy' ? ' busy' : '');
    el.alertRetry.hidden = !retry;
    el.alert.hidden = false;
  }

  function clearAlert(kind) {
    if (!kind || alertKind === kind) {
      alertKind = null;
      el.alert.hidden = true;
      el.alertText.textContent = '';
    }
  }

  function setSession(id) {
    sessionId = id || null;
    storageSet(localStorage, SESSION_KEY, sessionId);
    el.sessionId.textContent = sessionId || '';
    el.sessionState.textContent = sessionId ? '进行中' : '未开始';
    el.sessionDetails.hidden = !sessionId;
    if (sessionId) { startHeartbeat(); } else { stopHeartbeat(); }
  }

  function saveTranscript() {
    if (transcript.length > MAX_TRANSCRIPT) { transcript = transcript.slice(-MAX_TRANSCRIPT); }
    storageSet(sessionStorage, TRANSCRIPT_KEY, transcript.length ? JSON.stringify(transcript) : null);
  }

  function intentName(id) {
    return id ? (LABELS.intents[id] || id) : '—';
  }

  function audienceName(id) {
    return id ? (LABELS.audiences[id] || id) : '未指定';
  }

  // the names a candidate reads; the raw ids stay one click away, for support and bug reports
  function metaLine(m) {
    var meta = document.createElement('div');
    meta.className = 'meta';
    var parts = ['意图 ' + intentName(m.intent), '对象 ' + audienceName(m.audience), '来源 ' + (m.source || '—')];
    parts.forEach(function (text, i) {
      if (i > 0) {
        var sep = document.createElement('span');
        sep.className = 'sep';
        sep.setAttribute('aria-hidden', 'true');
        sep.textContent = '·';
        meta.appendChild(sep);
      }
      var span = document.createElement('span');
      span.textContent = text;
      meta.appendChild(span);
    });
    var details = document.createElement('details');
    details.className = 'ids';
    var summary = document.createElement('summary');
    summary.textContent = '编号';
    var ids = document.createElement('code');
    ids.textContent = 'intent ' + (m.intent || '—') + ' · audience ' + (m.audience || '—');
    details.appendChild(summary);
    details.appendChild(ids);
    meta.appendChild(details);
    if (m.contextLost) {
      var warn = document.createElement('span');
      warn.className = 'warn';
      warn.textContent = ' · ' + MSG.contextLost;
      meta.appendChild(warn);
    }
    return meta;
  }

  function section(title) {
    var box = document.createElement('div');
    box.className = 'why-part';
    var h = document.createElement('div');
    h.className = 'why-title';
    h.textContent = title;
    box.appendChild(h);
    return box;
  }

  // the query's tokens, each shaded by how much masking it lowers the intent's probability; the weight is
  // set through CSSOM (element.style), which the page's Content-Security-Policy allows, not as markup
  function saliencyLine(tokens) {
    var line = document.createElement('p');
    line.className = 'saliency';
    var max = 0;
    tokens.forEach(function (t) { max = Math.max(max, t.weight); });
    tokens.forEach(function (t) {
      var span = document.createElement('span');
      span.className = 'token';
      span.textContent = t.token;
      var alpha = max > 0 ? Math.max(0, t.weight) / max : 0;
      span.style.backgroundColor = 'rgba(36, 87, 214, ' + (0.55 * alpha).toFixed(3) + ')';
      span.title = '权重 ' + t.weight.toFixed(3);
      span.setAttribute('data-weight', String(t.weight));
      line.appendChild(span);
    });
    return line;
  }

  function explanationPanel(x, source) {
    var panel = document.createElement('div');
    panel.className = 'why-panel';
    if (source === 'rules' && !x.skipped) {
      var ruled = document.createElement('p');
      ruled.className = 'why-note';
      ruled.textContent = '本轮由规则回答；以下是模型对这句话的判断';
      panel.appendChild(ruled);
    }
    if (x.skipped) {
      var note = document.createElement('p');
      note.className = 'why-note';
      note.textContent = MSG.skipped[x.skipped] || x.skipped;
      panel.appendChild(note);
      return panel;
    }
    var words = section('问题中每个字的作用（颜色越深，越决定“' + intentName(x.intent) + '”）');
    words.appendChild(saliencyLine(x.saliency || []));
    panel.appendChild(words);

    var top = section('模型认为最可能的意图');
    var list = document.createElement('ol');
    list.className = 'why-top';
    (x.top || []).forEach(function (t) {
      var item = document.createElement('li');
      item.textContent = intentName(t.intent) + ' ' + (t.probability * 100).toFixed(1) + '%';
      list.appendChild(item);
    });
    top.appendChild(list);
    panel.appendChild(top);

    var near = section('最相近的训练问题');
    if (x.nearest && x.nearest.length) {
      var ul = document.createElement('ul');
      ul.className = 'why-nearest';
      x.nearest.forEach(function (n) {
        var item = document.createElement('li');
        item.textContent = n.text + '（' + intentName(n.intent) + '，相似度 ' + n.similarity.toFixed(2) + '）';
        ul.appendChild(item);
      });
      near.appendChild(ul);
    } else {
      var none = document.createElement('p');
      none.className = 'why-note';
      none.textContent = '此模型未附带训练问题索引';
      near.appendChild(none);
    }
    panel.appendChild(near);
    return panel;
  }

  function appendExplanation(li, x, source) {
    var link = document.createElement('button');
    link.type = 'button';
    link.className = 'why-link';
    link.textContent = MSG.why;
    link.setAttribute('aria-expanded', 'false');
    var panel = explanationPanel(x, source);
    panel.hidden = true;
    link.addEventListener('click', function () {
      panel.hidden = !panel.hidden;
      link.setAttribute('aria-expanded', panel.hidden ? 'false' : 'true');
    });
    li.appendChild(link);
    li.appendChild(panel);
  }

  function renderMessage(m) {
    var li = document.createElement('li');
    li.className = 'msg ' + m.who;
    var bubble = document.createElement('div');
    bubble.className = 'bubble';
    if (m.who === 'bot') {
      li.setAttribute('data-intent', m.intent || '');
      li.setAttribute('data-audience', m.audience || '');
      li.setAttribute('data-source', m.source || '');
      // the fallback reason is for operators (/ops), not for candidates
      li.setAttribute('data-fallback', m.fallbackReason || '');
      var label = document.createElement('span');
      label.className = 'visually-hidden';
      label.textContent = '回答：';
      bubble.appendChild(label);
    } else {
      var q = document.createElement('span');
      q.className = 'visually-hidden';
      q.textContent = '我的问题：';
      bubble.appendChild(q);
    }
    bubble.appendChild(document.createTextNode(m.text));
    li.appendChild(bubble);
    if (m.who === 'bot') { li.appendChild(metaLine(m)); }
    if (m.who === 'bot' && m.explanation) { appendExplanation(li, m.explanation, m.source); }
    el.transcript.appendChild(li);
    el.empty.hidden = true;
    return li;
  }

  function scrollToEnd() {
    window.scrollTo(0, document.body.scrollHeight);
  }

  function fetchWithTimeout(url, options) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    if (controller) { options.signal = controller.signal; }
    options.cache = 'no-store';
    options.credentials = 'omit';
    return fetch(url, options).finally(function () { if (timer) { clearTimeout(timer); } });
  }

  function errorBody(res) {
    return res.json().then(function (body) {
      return body && body.error ? body.error : {};
    }, function () { return {}; });
  }

  function signInAgain() {
    updateTokenState(true);
    el.tokenPanel.open = true;
    showAlert('auth', MSG.signIn, false);
    el.token.focus();
  }

  function send(query) {
    if (sending) { return; }
    query = (query || '').trim();
    if (!query) { el.query.focus(); return; }
    if (!token()) {
      el.tokenPanel.open = true;
      updateTokenState(false);
      showAlert('auth', MSG.noToken, false);
      el.token.focus();
      return;
    }
    storageSet(localStorage, TOKEN_KEY, token());
    sending = true;
    lastQuery = query;
    el.send.disabled = true;
    el.query.value = '';
    clearAlert();
    showNotice('');

    var pending = renderMessage({ who: 'user', text: query });
    pending.classList.add('pending');
    var typing = document.createElement('li');
    typing.className = 'msg bot pending';
    var typingBubble = document.createElement('div');
    typingBubble.className = 'bubble';
    var dots = document.createElement('span');
    dots.className = 'typing';
    dots.textContent = '正在查询';
    typingBubble.appendChild(dots);
    typing.appendChild(typingBubble);
    el.transcript.appendChild(typing);
    scrollToEnd();

    var body = { query: query };
    if (sessionId) { body.session_id = sessionId; }
    if (el.explain.checked) { body.explain = true; }

    fetchWithTimeout('/v1/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token() },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (res.ok) {
        return res.json().then(function (reply) { answered(query, reply); });
      }
      return errorBody(res).then(function (error) { failed(query, res, error); });
    }).catch(function (e) {
      failed(query, null, { network: true, timeout: e && e.name === 'AbortError' });
    }).finally(function () {
      typing.remove();
      sending = false;
      el.send.disabled = false;
      scrollToEnd();
    });

    function answered(q, reply) {
      pending.classList.remove('pending');
      transcript.push({ who: 'user', text: q });
      var m = {
        who: 'bot', text: reply.answer, intent: reply.intent, audience: reply.audience, source: reply.source,
        fallbackReason: reply.fallback_reason || null, contextLost: !!reply.context_lost, turn: reply.turn,
        explanation: reply.explanation || null
      };
      transcript.push(m);
      saveTranscript();
      renderMessage(m);
      updateTokenState(false);
      setSession(reply.session_id);
      lastHeartbeatMs = Date.now();
    }

    function failed(q, res, error) {
      // the question goes back into the box, ready to be sent again
      pending.remove();
      if (!transcript.length) { el.empty.hidden = false; }
      el.query.value = q;
      if (error.network) {
        showAlert('network', error.timeout ? MSG.timeout : MSG.network, true);
        return;
      }
      switch (res.status) {
        case 401:
          signInAgain();
          break;
        case 403:
          resetSession();
          showAlert('forbidden', MSG.foreign, true);
          break;
        case 503:
          var after = parseInt(res.headers.get('Retry-After') || '1', 10);
          // an explain request refused while explanations are busy: the same question without it is answered
          showAlert('busy', (body.explain ? MSG.explainBusy : MSG.busy) + '，约 ' + (after > 0 ? after : 1) +
            ' 秒后点击“重试”', true);
          break;
        case 400:
          showAlert('request', '问题无法处理：' + (error.message || '请求格式有误'), false);
          break;
        default:
          showAlert('request', '请求失败（' + res.status + '）：' + (error.message || res.statusText), true);
      }
    }
  }

  function heartbeat() {
    if (heartbeatInFlight || !sessionId || !token() || document.visibilityState !== 'visible') { return; }
    heartbeatInFlight = true;
    var id = sessionId;
    fetchWithTimeout('/v1/sessions/' + encodeURIComponent(id) + '/heartbeat', {
      method: 'POST',
      headers: { 'Authorization': 'Bearer ' + token() }
    }).then(function (res) {
      lastHeartbeatMs = Date.now();
      document.body.setAttribute('data-heartbeat', res.ok ? 'ok' : String(res.status));
      clearAlert('network');
      if (res.status === 401) {
        signInAgain();
      } else if (res.status === 404 && id === sessionId) {
        showNotice(MSG.expired);
      } else if (res.status === 403 && id === sessionId) {
        resetSession();
      }
    }).catch(function () {
      document.body.setAttribute('data-heartbeat', 'network');
      showAlert('network', MSG.network, false);
    }).finally(function () {
      heartbeatInFlight = false;
    });
  }

  function startHeartbeat() {
    if (!heartbeatTimer) { heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS); }
  }

  function stopHeartbeat() {
    if (heartbeatTimer) { clearInterval(heartbeatTimer); heartbeatTimer = null; }
  }

  function resetSession() {
    setSession(null);
    transcript = [];
    saveTranscript();
    el.transcript.textContent = '';
    el.empty.hidden = false;
  }

  function newChat() {
    var old = sessionId;
    if (old && token()) {
      fetchWithTimeout('/v1/sessions/' + encodeURIComponent(old), {
        method: 'DELETE',
        headers: { 'Authorization': 'Bearer ' + token() }
      }).catch(function () { /* the session expires on its own */ });
    }
    resetSession();
    clearAlert();
    showNotice(MSG.newChat);
    el.query.focus();
  }

  function restore() {
    var stored = storageGet(localStorage, TOKEN_KEY);
    var dev = document.querySelector('meta[name="ivbot-dev-token"]');
    var devToken = dev ? dev.getAttribute('content') : '';
    if (devToken === '{{DEV_TOKEN}}') { devToken = ''; }
    el.token.value = stored || devToken || '';
    if (!stored && devToken) { storageSet(localStorage, TOKEN_KEY, devToken); }
    el.tokenPanel.open = !el.token.value;
    updateTokenState(false);

    var saved = storageGet(sessionStorage, TRANSCRIPT_KEY);
    if (saved) {
      try { transcript = JSON.parse(saved) || []; } catch (e) { transcript = []; }
    }
    var id = storageGet(localStorage, SESSION_KEY);
    if (id) {
      setSession(id);
      transcript.forEach(renderMessage);
      showNotice(MSG.restored);
      heartbeat();
      scrollToEnd();
    } else {
      transcript = [];
      saveTranscript();
    }
  }

  function init() {
    ['token', 'tokenPanel:token-panel', 'tokenState:token-state', 'notice', 'alert', 'alertText:alert-text',
      'alertRetry:alert-retry', 'transcript', 'empty', 'form:ask-form', 'query', 'send', 'sessionId:session-id',
      'sessionState:session-state', 'sessionDetails:session-details',
      'newChat:new-chat', 'explain'].forEach(function (spec) {
      var parts = spec.split(':');
      el[parts[0]] = document.getElementById(parts[1] || parts[0]);
    });

    el.form.addEventListener('submit', function (e) {
      e.preventDefault();
      send(el.query.value);
    });
    el.query.addEventListener('keydown', function (e) {
      // Enter confirms a Chinese IME composition: only send when no composition is in progress
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        send(el.query.value);
      }
    });
    el.token.addEventListener('input', function () {
      storageSet(localStorage, TOKEN_KEY, token());
      updateTokenState(false);
      clearAlert('auth');
    });
    el.alertRetry.addEventListener('click', function () {
      send(el.query.value || lastQuery);
    });
    el.newChat.addEventListener('click', newChat);
    el.explain.checked = storageGet(localStorage, EXPLAIN_KEY) === '1';
    el.explain.addEventListener('change', function () {
      storageSet(localStorage, EXPLAIN_KEY, el.explain.checked ? '1' : null);
    });
    Array.prototype.forEach.call(document.querySelectorAll('.suggestion'), function (b) {
      b.addEventListener('click', function () { send(b.textContent); });
    });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible' && Date.now() - lastHeartbeatMs >= HEARTBEAT_MS) { heartbeat(); }
    });
    window.addEventListener('offline', function () { showAlert('network', MSG.network, false); });
    window.addEventListener('online', function () { clearAlert('network'); heartbeat(); });

    restore();
    if (el.token.value) { el.query.focus(); }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
