// Lets nhsuk-frontend style components for JavaScript (a file, not inline, so the Content-Security-Policy can stay 'self').
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
