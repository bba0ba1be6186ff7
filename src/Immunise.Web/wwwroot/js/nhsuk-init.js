// Starts nhsuk-frontend's components (error summary focus, radios, header). Pages work without it; this only enhances.
import { initAll } from '/lib/nhsuk-frontend/nhsuk-frontend.min.js';

initAll();
