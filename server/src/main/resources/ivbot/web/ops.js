/*
 * The operator dashboard: polls GET /v1/ops/stats every 2 s with the bearer token (the one the chat page
 * keeps in localStorage, or one typed here), keeps the last 5 minutes of QPS and P50/P99 and draws them
 * on canvases by hand; fallback reasons and batch sizes are bar lists; with canary releases on and an admin
 * token, the stable and candidate model versions side by side (GET /v1/admin/model); every 10 s what was asked in
 * the last hour, per intent, and the questions the assistant did not understand (GET /v1/ops/asked: from ClickHouse
 * when the server has --analytics, from its own turns otherwise).
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'ivbot.token';
  var POLL_MS = 2000;
  var WINDOW_MS = 5 * 60 * 1000;
  var MIN_WINDOW_MS = 60 * 1000;
  var REQUEST_TIMEOUT_MS = 5000;
  var ASKED_EVERY_MS = 10000;
  var COLORS = { qps: '#2457d6', p50: '#0f8a5f', p99: '#d9480f', grid: '#e3e8f0', axis: '#98a2b3', text: '#667085' };
  // display names only: the bars follow the reasons the server sends, so a new reason shows (by its id) untranslated
  var FALLBACK_ZH = { deadline: '超时', queue_full: '队列已满', model_error: '模型错误', no_model: '无可用模型', user_share: '单用户限额' };
  var MSG = {
    signIn: '登录已失效，请重新输入令牌',
    noToken: '请输入访问令牌后点击“连接”',
    busy: '系统繁忙，请稍候（自动重试中）',
    network: '网络连接中断，请检查网络（自动重试中）'
  };

  var el = {};
  var history = [];
  var timer = null;
  var generation = 0;
  var stopped = false;
  // no canary releases on this server (or no admin role): the release panel is not asked for again
  var releaseOff = false;
  var askedAt = 0;

  function storageGet(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  function storageSet(key, value) {
    try { if (value) { localStorage.setItem(key, value); } else { localStorage.removeItem(key); } } catch (e) { /* ignored */ }
  }

  function setStatus(text, kind) {
    el.status.textContent = text;
    el.status.className = 'ops-status' + (kind ? ' ' + kind : '');
  }

  function fmt(value, digits) {
    if (typeof value !== 'number' || !isFinite(value)) { return '—'; }
    return value.toLocaleString('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function pct(value) {
    return typeof value === 'number' && isFinite(value) ? fmt(value * 100, 1) + '%' : '—';
  }

  function setMetric(node, value, unit) {
    node.textContent = value;
    if (unit) {
      var u = document.createElement('span');
      u.className = 'unit';
      u.textContent = unit;
      node.appendChild(u);
    }
  }

  function duration(seconds) {
    var d = Math.floor(seconds / 86400);
    var h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60);
    var s = seconds % 60;
    if (d) { return d + ' 天 ' + h + ' 小时'; }
    if (h) { return h + ' 小时 ' + m + ' 分'; }
    if (m) { return m + ' 分 ' + s + ' 秒'; }
    return s + ' 秒';
  }

  function clock(date) {
    return date.toLocaleTimeString('zh-CN', { hour12: false });
  }

  /* Canvas charts */

  function niceMax(value) {
    if (!(value > 0)) { return 1; }
    var exp = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * exp >= value) { return steps[i] * exp; }
    }
    return 10 * exp;
  }

  function label(value) {
    if (value >= 100 || value === 0) { return String(Math.round(value)); }
    if (value >= 10) { return value.toFixed(1).replace(/\.0$/, ''); }
    return value.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
  }

  // the x axis spans the data collected so far: at least 1 minute, at most 5
  function windowMs(now) {
    var span = history.length ? now - history[0].t : 0;
    return Math.min(WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.ceil(span / 60000) * 60000));
  }

  function drawChart(canvas, series, now) {
    var dpr = window.devicePixelRatio || 1;
    var cssW = canvas.clientWidth || 600;
    var cssH = canvas.clientHeight || 200;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);

    var pad = { left: 46, right: 12, top: 10, bottom: 24 };
    var w = Math.max(10, cssW - pad.left - pad.right);
    var h = Math.max(10, cssH - pad.top - pad.bottom);
    var span = windowMs(now);
    var t0 = now - span;
    var points = history.filter(function (p) { return p.t >= t0 - POLL_MS; });
    var max = 0;
    series.forEach(function (s) {
      points.forEach(function (p) { if (p[s.key] > max) { max = p[s.key]; } });
    });
    var top = niceMax(max * 1.1);
    function x(t) { return pad.left + (t - t0) / span * w; }
    function y(v) { return pad.top + h - v / top * h; }

    g.font = '11px system-ui, "Noto Sans CJK SC", sans-serif';
    g.lineWidth = 1;
    g.textBaseline = 'middle';
    g.textAlign = 'right';
    for (var i = 0; i <= 4; i++) {
      var v = top * i / 4;
      var gy = Math.round(y(v)) + 0.5;
      g.strokeStyle = i === 0 ? COLORS.axis : COLORS.grid;
      g.beginPath();
      g.moveTo(pad.left, gy);
      g.lineTo(pad.left + w, gy);
      g.stroke();
      g.fillStyle = COLORS.text;
      g.fillText(label(v), pad.left - 6, gy);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    // ticks every 15 s over one minute, every minute beyond
    var tick = span <= MIN_WINDOW_MS ? 15000 : 60000;
    g.fillStyle = COLORS.text;
    for (var ago = span; ago >= 0; ago -= tick) {
      g.textAlign = ago === span ? 'left' : (ago === 0 ? 'right' : 'center');
      g.fillText(ago === 0 ? '现在' : (tick < 60000 ? '-' + ago / 1000 + ' 秒' : '-' + ago / 60000 + ' 分'),
        x(now - ago), pad.top + h + 6);
    }

    g.save();
    g.beginPath();
    g.rect(pad.left, pad.top - 2, w + 2, h + 4);
    g.clip();
    series.forEach(function (s) {
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = 2;
      g.lineJoin = 'round';
      g.beginPath();
      // a null value (no request in that interval) breaks the line
      var drawing = false;
      var last = null;
      points.forEach(function (p) {
        var v = p[s.key];
        if (v === null) { drawing = false; return; }
        if (drawing) { g.lineTo(x(p.t), y(v)); } else { g.moveTo(x(p.t), y(v)); drawing = true; }
        last = p;
      });
      g.stroke();
      if (last) {
        g.beginPath();
        g.arc(x(last.t), y(last[s.key]), 3, 0, Math.PI * 2);
        g.fill();
      }
    });
    g.restore();
    canvas.setAttribute('data-samples', String(history.length));
  }

  function drawCharts() {
    var now = history.length ? history[history.length - 1].t : Date.now();
    drawChart(el.qpsChart, [{ key: 'qps', color: COLORS.qps }], now);
    drawChart(el.latencyChart, [{ key: 'p50', color: COLORS.p50 }, { key: 'p99', color: COLORS.p99 }], now);
  }

  /* Bar lists */

  function bars(list, rows, cls, emptyText) {
    list.textContent = '';
    var max = 0;
    rows.forEach(function (r) { if (r.value > max) { max = r.value; } });
    if (!rows.length) {
      var none = document.createElement('li');
      none.className = 'none';
      none.textContent = emptyText;
      list.appendChild(none);
      return;
    }
    rows.forEach(function (r) {
      var li = document.createElement('li');
      li.className = 'bar';
      var name = document.createElement('span');
      name.className = 'bar-label';
      name.textContent = r.label;
      var track = document.createElement('span');
      track.className = 'bar-track';
      track.setAttribute('aria-hidden', 'true');
      var fill = document.createElement('span');
      fill.className = 'bar-fill ' + cls;
      fill.style.width = (max > 0 ? r.value / max * 100 : 0) + '%';
      track.appendChild(fill);
      var value = document.createElement('span');
      value.className = 'bar-value';
      value.textContent = r.text;
      li.appendChild(name);
      li.appendChild(track);
      li.appendChild(value);
      list.appendChild(li);
    });
  }

  function render(data) {
    var latency = data.latency_ms || {};
    // without requests in the interval there is no latency to show
    var idle = !(data.qps > 0);
    setMetric(el.qps, fmt(data.qps, 1), '次/秒');
    setMetric(el.p50, idle ? '—' : fmt(latency.p50, 2), idle ? '' : 'ms');
    setMetric(el.p99, idle ? '—' : fmt(latency.p99, 2), idle ? '' : 'ms');
    setMetric(el.total, fmt(data.requests_total, 0));
    setMetric(el.fallback, pct(data.fallback_share));
    setMetric(el.cache, pct(data.cache_hit_rate));
    var model = data.model || {};
    el.model.textContent = model.version || '未加载（规则引擎）';
    el.device.textContent = '设备 ' + (model.device || '—');
    var store = data.session_store || {};
    el.store.textContent = store.kind || '—';
    el.storeState.textContent = '';
    var badge = document.createElement('span');
    badge.className = 'badge ' + (store.ready ? 'ok' : 'bad');
    badge.textContent = store.ready ? '正常' : '不可用';
    el.storeState.appendChild(badge);
    el.uptime.textContent = duration(data.uptime_s || 0);

    var fallbacks = data.fallbacks || {};
    var totalFallbacks = 0;
    var reasons = Object.keys(fallbacks);
    reasons.forEach(function (k) { totalFallbacks += fallbacks[k] || 0; });
    bars(el.fallbackBars, reasons.map(function (k) {
      var n = fallbacks[k] || 0;
      return { label: FALLBACK_ZH[k] || k, value: n, text: fmt(n, 0) + (totalFallbacks ? '（' + pct(n / totalFallbacks) + '）' : '') };
    }), 'fallback', '');

    var batch = data.batch_size || {};
    var counts = Array.isArray(batch.counts) ? batch.counts : [];
    el.batchSummary.textContent = counts.length ? 'P50 ' + fmt(batch.p50, 1) + ' · 最大 ' + batch.max : '';
    bars(el.batchBars, counts.map(function (c) {
      return { label: '批大小 ' + c[0], value: c[1], text: fmt(c[1], 0) };
    }), 'batch', '暂无批处理数据（当前由规则引擎作答）');

    var now = Date.now();
    history.push({ t: now, qps: data.qps || 0, p50: idle ? null : latency.p50 || 0, p99: idle ? null : latency.p99 || 0 });
    while (history.length && history[0].t < now - WINDOW_MS - POLL_MS) { history.shift(); }
    drawCharts();
  }

  var STATE_ZH = { idle: '仅稳定版', soaking: '候选版灰度中', paused: '灰度已暂停' };

  function releaseRow(label, stable, candidate) {
    var tr = document.createElement('tr');
    [label, stable, candidate].forEach(function (text, i) {
      var cell = document.createElement(i === 0 ? 'th' : 'td');
      cell.textContent = text;
      if (i > 0) { cell.className = 'num'; }
      tr.appendChild(cell);
    });
    return tr;
  }

  // the two model versions side by side, from GET /v1/admin/model (a token with the admin role); hidden when
  // canary releases are off, a note when the token may not see them
  function renderRelease(status, code) {
    if (status && status.state === 'off') { el.release.hidden = true; releaseOff = true; return; }
    // a token without the admin role will not get one by asking again: stop until the next connect
    if (code === 403) { releaseOff = true; }
    el.release.hidden = false;
    el.releaseRows.textContent = '';
    if (!status) {
      el.releaseState.textContent = '';
      el.releaseNote.textContent = code === 403 ? '需要带 admin 角色的令牌才能查看灰度发布' : '灰度状态暂不可用（' + code + '）';
      return;
    }
    var s = status.cohorts && status.cohorts.stable || {};
    var c = status.cohorts && status.cohorts.canary || {};
    var ms = function (v) { return v === null || v === undefined ? '—' : fmt(v, 2) + ' ms'; };
    el.releaseState.textContent = STATE_ZH[status.state] || status.state;
    [releaseRow('版本', status.stable || '—', status.candidate || '—'),
      releaseRow('流量占比', pct(1 - status.share), status.candidate ? pct(status.share) : '—'),
      releaseRow('模型轮次', fmt(s.turns || 0, 0), fmt(c.turns || 0, 0)),
      releaseRow('P99', ms(s.p99_ms), ms(c.p99_ms)),
      releaseRow('降级占比', pct(s.fallback_share || 0), pct(c.fallback_share || 0)),
      releaseRow('错误占比', pct(s.error_share || 0), pct(c.error_share || 0))
    ].forEach(function (row) { el.releaseRows.appendChild(row); });
    var note = '影子流量一致率 ' + (status.agreement === null ? '—' : pct(status.agreement)) + '（' + fmt(status.shadowed, 0) + ' 条）';
    if (status.candidate) { note += ' · 灰度剩余 ' + duration(status.soak_left_s || 0); }
    if (status.last) {
      note += ' · 上次：' + status.last.version + (status.last.action === 'promoted' ? ' 已全量' : ' 已回滚') +
        '（' + status.last.reason + '）';
    }
    el.releaseNote.textContent = note;
  }

  function pollRelease(token, gen) {
    if (releaseOff) { return; }
    fetch('/v1/admin/model', {
      headers: { 'Authorization': 'Bearer ' + token },
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (res) {
      if (gen !== generation) { return null; }
      if (!res.ok) { renderRelease(null, res.status); return null; }
      return res.json().then(function (data) { if (gen === generation) { renderRelease(data, 200); } });
    }).catch(function () { /* the stats poll reports the network */ });
  }

  function renderAsked(data) {
    var source = data.source === 'clickhouse' ? 'ClickHouse，所有实例' : data.source === 'server' ? '本实例' : '';
    if (data.source === 'off') {
      el.askedSummary.textContent = '（未记录对话事件）';
      bars(el.askedBars, [], 'asked', '服务以 --events off 运行，没有统计');
      el.unknownSummary.textContent = '';
      el.unknownList.textContent = '';
      return;
    }
    el.askedSummary.textContent = '（最近 ' + Math.round(data.window_s / 60) + ' 分钟，' + fmt(data.turns, 0) + ' 轮，' +
      source + (data.note ? '；ClickHouse 不可用' : '') + '）';
    el.askedSummary.title = data.note || '';
    bars(el.askedBars, (data.intents || []).slice(0, 12).map(function (r) {
      return { label: r.zh, value: r.turns, text: fmt(r.turns, 0) + ' · 均 ' + fmt(r.latency_mean_ms, 1) + ' ms · P99 ' +
        fmt(r.latency_p99_ms, 1) + ' ms' };
    }), 'asked', '还没有对话');
    el.unknownSummary.textContent = '（' + fmt(data.unknown_turns || 0, 0) + ' 轮）';
    el.unknownList.textContent = '';
    var unknown = data.unknown || [];
    if (!unknown.length) {
      var none = document.createElement('li');
      none.className = 'none';
      none.textContent = '没有';
      el.unknownList.appendChild(none);
    }
    unknown.forEach(function (q) {
      var li = document.createElement('li');
      var text = document.createElement('span');
      text.className = 'question';
      text.textContent = q.query;
      var count = document.createElement('span');
      count.className = 'bar-value';
      count.textContent = '×' + q.count;
      li.appendChild(text);
      li.appendChild(count);
      el.unknownList.appendChild(li);
    });
  }

  function pollAsked(token, gen) {
    if (Date.now() - askedAt < ASKED_EVERY_MS) { return; }
    askedAt = Date.now();
    fetch('/v1/ops/asked?minutes=60', {
      headers: { 'Authorization': 'Bearer ' + token },
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (res) {
      if (gen !== generation || !res.ok) { return null; }
      return res.json().then(function (data) { if (gen === generation) { renderAsked(data); } });
    }).catch(function () { /* the stats poll reports the network */ });
  }

  function schedule(gen) {
    if (gen !== generation || stopped) { return; }
    timer = setTimeout(function () { poll(gen); }, POLL_MS);
  }

  function poll(gen) {
    timer = null;
    var token = el.token.value.trim();
    if (!token) {
      setStatus(MSG.noToken, 'warn');
      el.token.focus();
      return;
    }
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var abort = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    fetch('/v1/ops/stats', {
      headers: { 'Authorization': 'Bearer ' + token },
      cache: 'no-store',
      credentials: 'omit',
      signal: controller ? controller.signal : undefined
    }).then(function (res) {
      if (gen !== generation) { return null; }
      if (res.status === 401) {
        stopped = true;
        el.token.setAttribute('aria-invalid', 'true');
        setStatus(MSG.signIn, 'error');
        el.token.focus();
        return null;
      }
      if (res.status === 503) {
        setStatus(MSG.busy, 'warn');
        return null;
      }
      if (!res.ok) {
        setStatus('获取数据失败（' + res.status + '），自动重试中', 'error');
        return null;
      }
      return res.json().then(function (data) {
        if (gen !== generation) { return; }
        el.token.setAttribute('aria-invalid', 'false');
        render(data);
        pollRelease(token, gen);
        pollAsked(token, gen);
        document.body.setAttribute('data-updated', String(Date.now()));
        setStatus('已连接 · 每 2 秒刷新 · 更新于 ' + clock(new Date()), 'ok');
      });
    }).catch(function () {
      if (gen === generation) { setStatus(MSG.network, 'error'); }
    }).finally(function () {
      if (abort) { clearTimeout(abort); }
      schedule(gen);
    });
  }

  function connect() {
    generation++;
    stopped = false;
    releaseOff = false;
    askedAt = 0;
    if (timer) { clearTimeout(timer); timer = null; }
    storageSet(TOKEN_KEY, el.token.value.trim());
    setStatus('正在连接…', '');
    poll(generation);
  }

  function init() {
    ['token', 'status', 'form:token-form', 'qps:m-qps', 'p50:m-p50', 'p99:m-p99', 'total:m-total',
      'fallback:m-fallback', 'cache:m-cache', 'model:m-model', 'device:m-device', 'store:m-store',
      'storeState:m-store-state', 'uptime:m-uptime', 'qpsChart:qps-chart', 'latencyChart:latency-chart',
      'fallbackBars:fallback-bars', 'batchBars:batch-bars', 'batchSummary:batch-summary', 'release:release',
      'releaseRows:release-rows', 'releaseState:release-state', 'releaseNote:release-note',
      'askedBars:asked-bars', 'askedSummary:asked-summary', 'unknownList:unknown-list',
      'unknownSummary:unknown-summary'].forEach(function (spec) {
      var parts = spec.split(':');
      el[parts[0]] = document.getElementById(parts[1] || parts[0]);
    });
    el.form.addEventListener('submit', function (e) {
      e.preventDefault();
      connect();
    });
    var resizeTimer = null;
    window.addEventListener('resize', function () {
      if (resizeTimer) { clearTimeout(resizeTimer); }
      resizeTimer = setTimeout(drawCharts, 100);
    });
    el.token.value = storageGet(TOKEN_KEY) || '';
    drawCharts();
    connect();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
