/*
 * How the dashboard words an event of the live stream: a sentence, e.g. "pricing opened after too
 * many consecutive failures" or "pricing rejected a call (open, retry in 12 s)". Plain browser
 * JavaScript, embedded in the page's script (and run by the specs as is): one implementation.
 * Names and keys are user data: the page only ever puts the result in `textContent`.
 */
export const EVENT_SENTENCE_SCRIPT = `
  function eventSentence(event) {
    var who = event.key === undefined ? event.name : event.name + ' [' + event.key + ']';
    function time(ms) {
      if (ms < 1000) return Math.round(ms) + ' ms';
      var s = Math.ceil(ms / 1000);
      if (s < 60) return s + ' s';
      return Math.floor(s / 60) + ' min' + (s % 60 ? ' ' + (s % 60) + ' s' : '');
    }
    function an(word) { return (/^[AEIOUaeiou]/.test(word) ? 'an ' : 'a ') + word; }
    var OPENED = {
      'failure-threshold': 'opened after too many consecutive failures',
      'failure-rate': 'opened: its failure rate reached the threshold',
      'slow-call-rate': 'opened: its slow-call rate reached the threshold',
      'half-open-failure': 're-opened: a trial call failed',
      'half-open-timeout': 're-opened: no trial call answered in time',
      'remote': 'opened (on another replica)'
    };
    var CLOSED = {
      'half-open-success': 'closed: the trial calls succeeded',
      'manual': 'was reset (closed)',
      'remote': 'closed (on another replica)'
    };
    var FALLBACK_SOURCES = { stale: 'a cached result', handler: 'its fallback', value: 'a fallback value' };
    var FALLBACK_REASONS = { circuit_open: 'an open breaker', timeout: 'a timeout', bulkhead_full: 'a full bulkhead', error: 'an error' };
    switch (event.type) {
      case 'state-change':
        if (event.to === 'open') return who + ' ' + (OPENED[event.reason] || 'opened');
        if (event.to === 'half-open') return who + ' is half-open: trial calls may go through';
        if (event.to === 'closed') return who + ' ' + (CLOSED[event.reason] || 'closed');
        if (event.to === 'forced-open') return who + ' was forced open: every call is rejected until it is reset';
        if (event.to === 'disabled') return who + ' was disabled: calls pass unprotected until it is reset';
        return who + ' went from ' + event.from + ' to ' + event.to;
      case 'call-rejected':
        if (event.state === 'forced-open') return who + ' rejected a call (forced open)';
        if (event.state === 'half-open') return who + ' rejected a call (half-open, trial calls in progress)';
        return who + ' rejected a call (open' + (typeof event.retryAfterMs === 'number' ? ', retry in ' + time(event.retryAfterMs) : '') + ')';
      case 'retry':
        return who + ' retries a call: attempt ' + event.attempt + ' ' + (event.error ? 'failed with ' + an(event.error) : 'returned a result to retry') +
          ', attempt ' + (event.attempt + 1) + ' in ' + time(event.delay);
      case 'timeout':
        return who + ' timed out after ' + time(event.duration);
      case 'bulkhead-rejected':
        return who + ' is full: a call was rejected';
      case 'load-shed':
        return 'Load shedding turned away ' + (event.priority === 'sheddable' ? 'a sheddable' : 'a') + ' request (' +
          (event.reason === 'queue-timeout' ? 'it waited too long in the queue' : 'at capacity') + ')';
      case 'fallback':
        return who + ' fell back to ' + (FALLBACK_SOURCES[event.source] || 'its fallback') + ' after ' + (FALLBACK_REASONS[event.reason] || 'an error');
      default:
        return who + ': ' + event.type;
    }
  }
`;
