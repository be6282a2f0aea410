-- crm.clv_summary, BG/NBD, Pareto/NBD, Gamma-Gamma and CLV.
--
-- Independent references used below:
--  * hand computation (small order sets);
--  * published results on the CDNOW data of Fader, Hardie & Lee (2005):
--    summary rows of lifetimes' cdnow_customers_summary*.csv, BG/NBD
--    r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4,
--    E[X(39) | x=2, t_x=30.43, T=38.86] = 1.226, E[X(t)] = 0.0078 0.0532
--    0.1506 1.0405 1.0437 (t = 0.1429 1 3 31.8571 32); Pareto/NBD r = 0.553,
--    alpha = 10.578, s = 0.606, beta = 11.669, E[X(52) | 26, 30.86, 31] =
--    25.46; Gamma-Gamma p = 6.25, q = 3.74, v = 15.44 and the expected
--    spends 24.65 18.91 35.17 35.17 35.17 71.46 18.91 35.17 27.28 35.17;
--  * values computed with scipy (hyp2f1, Nelder-Mead) from lifetimes'
--    formulas (P(alive), conditional expectations, CLV, penalized fit),
--    copied here as numbers.
SET extra_float_digits = 0;
SET TimeZone = 'UTC';

-- The CDNOW calibration summary (2,357 customers, weeks), as distinct
-- (x, t_x, T, zbar) patterns with their number of customers.
CREATE TABLE cdnow_patterns (x int, t_x float8, t float8, zbar float8, n int);
COPY cdnow_patterns FROM stdin;
0	0	27	0	13
0	0	27.14	0	20
0	0	27.29	0	16
0	0	27.43	0	17
0	0	27.57	0	12
0	0	27.71	0	15
0	0	27.86	0	18
0	0	28	0	19
0	0	28.14	0	17
0	0	28.29	0	20
0	0	28.43	0	15
0	0	28.57	0	18
0	0	28.71	0	20
0	0	28.86	0	18
0	0	29	0	19
0	0	29.14	0	17
0	0	29.29	0	18
0	0	29.43	0	19
0	0	29.57	0	16
0	0	29.71	0	20
0	0	29.86	0	19
0	0	30	0	22
0	0	30.14	0	18
0	0	30.29	0	17
0	0	30.43	0	16
0	0	30.57	0	17
0	0	30.71	0	20
0	0	30.86	0	20
0	0	31	0	20
0	0	31.14	0	21
0	0	31.29	0	16
0	0	31.43	0	17
0	0	31.57	0	14
0	0	31.71	0	16
0	0	31.86	0	18
0	0	32	0	21
0	0	32.14	0	16
0	0	32.29	0	19
0	0	32.43	0	19
0	0	32.57	0	11
0	0	32.71	0	17
0	0	32.86	0	17
0	0	33	0	17
0	0	33.14	0	21
0	0	33.29	0	18
0	0	33.43	0	23
0	0	33.57	0	16
0	0	33.71	0	24
0	0	33.86	0	17
0	0	34	0	21
0	0	34.14	0	22
0	0	34.29	0	16
0	0	34.43	0	20
0	0	34.57	0	14
0	0	34.71	0	19
0	0	34.86	0	18
0	0	35	0	15
0	0	35.14	0	19
0	0	35.29	0	17
0	0	35.43	0	16
0	0	35.57	0	16
0	0	35.71	0	16
0	0	35.86	0	14
0	0	36	0	14
0	0	36.14	0	16
0	0	36.29	0	20
0	0	36.43	0	14
0	0	36.57	0	14
0	0	36.71	0	14
0	0	36.86	0	15
0	0	37	0	13
0	0	37.14	0	15
0	0	37.29	0	12
0	0	37.43	0	17
0	0	37.57	0	10
0	0	37.71	0	15
0	0	37.86	0	13
0	0	38	0	12
0	0	38.14	0	16
0	0	38.29	0	14
0	0	38.43	0	13
0	0	38.57	0	12
0	0	38.71	0	15
0	0	38.86	0	10
1	0.14	27.86	14.79	1
1	0.14	30.86	15.36	1
1	0.14	32.14	6.79	1
1	0.14	33.29	11.99	1
1	0.14	34.14	9.77	1
1	0.14	35.71	6.79	1
1	0.14	37.29	11.77	1
1	0.29	32.57	46.29	1
1	0.29	34.57	24.98	1
1	0.29	37.57	34.27	1
1	0.29	38.14	12.97	1
1	0.29	38.14	39.09	1
1	0.43	27.14	15.96	1
1	0.43	29.29	42.49	1
1	0.43	34.14	16.76	1
1	0.43	37.14	20.75	1
1	0.43	37.29	11.77	1
1	0.57	32.57	24.74	1
1	0.57	32.86	14.96	1
1	0.57	33.29	13.97	1
1	0.57	34.29	12.97	1
1	0.57	34.86	29.58	1
1	0.71	27.29	14.37	1
1	0.71	29.57	6.77	1
1	0.71	32.14	14.96	1
1	0.71	32.71	9.97	1
1	0.71	32.86	13.97	1
1	0.71	37.14	18.99	1
1	0.86	28.43	14.96	1
1	0.86	31.57	29.37	1
1	0.86	32.29	11.77	1
1	0.86	32.57	21.74	1
1	0.86	33	27.94	1
1	1	29.57	63.04	1
1	1	31.57	21.74	1
1	1	31.86	14.37	1
1	1	33.71	13.97	1
1	1.14	30.86	14.37	1
1	1.14	33.71	30.72	1
1	1.14	37	12.97	1
1	1.29	28.29	16.36	1
1	1.29	30.14	5.78	1
1	1.29	32.29	39.74	1
1	1.29	33	51.87	1
1	1.43	28	15.36	1
1	1.43	28.43	4.79	1
1	1.43	31.43	14.96	1
1	1.43	33.43	20.99	1
1	1.43	34.14	29.98	1
1	1.57	27.14	28.93	1
1	1.57	28.29	42.29	1
1	1.57	29	13.97	1
1	1.57	29.57	43.89	1
1	1.57	31.86	44.11	1
1	1.57	32.57	11.77	1
1	1.57	37.71	27.13	1
1	1.57	38.57	14.37	1
1	1.57	38.71	227.14	1
1	1.71	27.86	100.37	1
1	1.71	28.86	60.25	1
1	1.71	29.57	32.99	1
1	1.71	30.57	10.77	1
1	1.71	33.57	10.78	1
1	1.71	34.86	14.37	1
1	1.71	38.86	11.77	1
1	1.86	30.29	25.99	1
1	1.86	37.29	30.32	1
1	1.86	37.43	9.77	1
1	2	29.57	18.99	1
1	2	30.71	9.97	1
1	2	31.14	13.97	1
1	2	33.14	14.37	1
1	2	37.14	79.72	1
1	2	37.43	13.97	1
1	2	37.86	46.28	1
1	2.14	28.57	66.43	1
1	2.14	29.29	12.79	1
1	2.14	30.14	116.47	1
1	2.14	30.86	13.97	1
1	2.14	34.43	50.3	1
1	2.14	36	15.36	1
1	2.14	36.14	44.97	1
1	2.14	38	29.33	1
1	2.14	38.71	13.97	1
1	2.29	28.57	13.77	1
1	2.29	30.86	11.97	1
1	2.29	31.14	17.3	1
1	2.29	33.71	125.69	1
1	2.29	34	35.51	1
1	2.43	29.43	44.69	1
1	2.43	33	11.77	1
1	2.43	36.14	14.79	1
1	2.57	27	32.91	1
1	2.57	27.14	22.99	1
1	2.57	33.86	17.9	1
1	2.57	36.71	242.98	1
1	2.71	30.86	11.77	1
1	2.71	30.86	14.79	1
1	2.71	31.43	14.96	1
1	2.71	32.71	59.97	1
1	2.71	35.29	75.2	1
1	2.86	28.14	16.7	1
1	2.86	29.86	26.73	1
1	2.86	32.14	8.78	1
1	2.86	32.29	51.73	1
1	2.86	38	16.7	1
1	3	30.71	20.99	1
1	3	33.71	29.93	1
1	3	37.14	36.67	1
1	3	38.14	13.77	1
1	3.14	31.14	49.27	1
1	3.29	29.14	32	1
1	3.29	30.43	38.31	1
1	3.29	30.57	48.36	1
1	3.43	37	14.37	1
1	3.57	28	19.54	1
1	3.57	28.14	47.28	1
1	3.57	32.29	12.77	1
1	3.57	32.57	15.36	1
1	3.57	35	24.99	1
1	3.71	27.43	61.24	1
1	3.71	32.43	56.28	1
1	3.71	33.86	15.99	1
1	3.71	34.57	27.94	1
1	3.86	29	14.96	1
1	3.86	30.71	16.36	1
1	3.86	33.57	15.76	1
1	3.86	37.14	41.82	1
1	4	34.86	37.75	1
1	4.14	28.43	35.91	1
1	4.29	28.29	176.86	1
1	4.29	30.29	18.36	1
1	4.29	38.57	15.36	1
1	4.43	35	54.71	1
1	4.43	36.29	29.33	1
1	4.43	36.43	23.54	1
1	4.57	32	15.3	1
1	4.57	33.86	25.94	1
1	4.57	34.71	18.76	1
1	4.57	35.71	44.88	1
1	4.71	34.29	66.63	1
1	4.86	27.29	26.99	1
1	4.86	38.86	9.99	1
1	5	29.71	48.31	1
1	5	31.71	42.1	1
1	5	37.71	15.76	1
1	5	38.86	11.77	1
1	5.14	29.14	34.93	1
1	5.14	38.43	20.77	1
1	5.29	31.71	27.94	1
1	5.29	35.86	14.96	1
1	5.29	38.14	28.31	1
1	5.43	28.14	11.77	1
1	5.43	30.86	27.34	1
1	5.43	35.57	13.97	1
1	5.71	30.57	12.49	1
1	5.71	36.57	13.77	1
1	5.71	37.29	90.83	1
1	5.86	32.14	17.54	1
1	5.86	34.43	32.37	1
1	5.86	35.14	11.77	1
1	5.86	37.29	38.77	1
1	5.86	38.43	69.23	1
1	5.86	38.71	40.47	1
1	6	30.43	24.73	1
1	6	31.29	28.74	1
1	6	35	21.54	1
1	6.14	27.14	14.96	1
1	6.14	32.43	13.97	1
1	6.14	33.71	14.96	1
1	6.14	36.43	15.38	1
1	6.14	38.14	52.3	1
1	6.29	27	52.69	1
1	6.29	30.14	52.5	1
1	6.29	32.14	25.37	1
1	6.43	35.14	29.33	1
1	6.43	38	34.32	1
1	6.57	31.57	23.94	1
1	6.57	34.14	58.14	1
1	6.71	33.71	12.79	1
1	6.71	35.71	30.97	1
1	7.14	28.14	24.99	1
1	7.14	34.71	6.79	1
1	7.14	35.14	26.73	1
1	7.14	38.14	36.71	1
1	7.29	32.14	18.99	1
1	7.29	34.29	19.99	1
1	7.29	35.57	59.25	1
1	7.43	27.86	9.98	1
1	7.43	38.29	42.09	1
1	7.57	27	11.77	1
1	7.57	28.29	54.51	1
1	7.57	30.71	26.74	1
1	7.57	31.57	93.84	1
1	7.57	35.57	30.32	1
1	7.71	27.57	39.98	1
1	7.86	27.14	50.87	1
1	7.86	32.29	29.33	1
1	7.86	35.29	19.99	1
1	7.86	35.86	37.65	1
1	7.86	36.14	27.33	1
1	8	31.57	15.36	1
1	8	36.43	29.99	1
1	8.14	35	34.11	1
1	8.29	30.29	22.54	1
1	8.29	31	14.9	1
1	8.29	34.29	13.97	1
1	8.29	37.29	55.28	1
1	8.43	27.43	13.77	1
1	8.43	28	14.37	1
1	8.43	28.57	14.96	1
1	8.43	36.29	25.74	1
1	8.57	33	22.4	1
1	8.57	33.86	14.37	1
1	8.57	35.14	15.36	1
1	8.57	36	11.97	1
1	8.57	36.14	58.07	1
1	8.71	28.71	10.77	1
1	8.71	33.29	28.99	1
1	8.71	34.57	28.34	1
1	8.86	28.86	22.77	1
1	8.86	32.71	32.26	1
1	8.86	36.14	83.39	1
1	8.86	36.86	41.77	1
1	9	27.43	95.95	1
1	9.14	32	26.73	1
1	9.14	33.43	49.48	1
1	9.29	27	13.97	1
1	9.57	29.43	9.7	1
1	9.57	31.29	29.99	1
1	9.57	36.71	12.77	1
1	9.71	27.43	18.76	1
1	9.71	29.57	14.99	1
1	9.71	34	53.5	1
1	9.86	34	10.77	1
1	10.14	30.29	28.08	1
1	10.14	32	14.79	1
1	10.29	34	14.96	1
1	10.29	35.29	163.61	1
1	10.43	31	31.13	1
1	10.43	36.57	13.97	1
1	10.57	34.14	13.97	1
1	10.71	30.71	7.98	1
1	11	28.29	31.76	1
1	11	28.57	12.25	1
1	11	33.71	42.02	1
1	11.14	29.14	20.54	1
1	11.14	31.57	25.54	1
1	11.14	34.86	11.78	1
1	11.29	28	29.6	1
1	11.43	29.43	9.99	1
1	11.71	27	21	1
1	11.71	36.57	176.45	1
1	12.14	27.14	25.34	1
1	12.14	29.29	22.54	1
1	12.14	32.86	103.18	1
1	12.57	34.71	70.13	1
1	12.71	34	152.72	1
1	12.86	35.71	12.49	1
1	13	28.71	27.94	1
1	13.14	28.57	50.48	1
1	13.29	28.29	15.76	1
1	13.29	34.71	12.49	1
1	13.71	27	15.36	1
1	13.71	34	51.6	1
1	13.86	28.43	8.97	1
1	14	27.71	11.77	1
1	14	29.86	56.06	1
1	14.14	36.57	24.74	1
1	14.29	29.57	36.7	1
1	14.71	30.57	12.77	1
1	14.86	28.57	14.79	1
1	14.86	34.14	43.09	1
1	14.86	37.43	14.99	1
1	15.14	28.71	19.99	1
1	15.14	29	26.14	1
1	15.29	34	29.92	1
1	15.29	36.43	100.59	1
1	15.29	37	76.41	1
1	15.57	28.71	11.77	1
1	15.71	33.86	36.5	1
1	15.71	38	23.54	1
1	15.86	27.29	29.33	1
1	15.86	32.14	29.73	1
1	16	34.57	15.36	1
1	16.14	30.14	14.96	1
1	16.14	38.43	43.13	1
1	16.29	27.43	14.96	1
1	16.29	29.29	13.97	1
1	16.29	29.29	59.65	1
1	16.29	30.86	50.48	1
1	16.57	30.57	15.96	1
1	16.57	34	26.75	1
1	16.57	37	48.94	1
1	16.71	28.86	13.97	1
1	16.71	31.14	11.77	1
1	16.86	30.43	14.96	1
1	17	36.14	11.77	1
1	17	36.14	38.71	1
1	17.14	29.14	123.53	1
1	17.14	31.14	19.77	1
1	17.29	30.43	33.86	1
1	17.43	31	26.94	1
1	17.43	33.71	38.51	1
1	17.57	29.86	29.98	1
1	17.86	37	69.84	1
1	18	32	16.36	1
1	18	37.57	14.96	1
1	18.14	36.29	34.14	1
1	18.29	29	38.97	1
1	18.29	33	14.99	1
1	18.43	32.86	35.71	1
1	18.43	33	14.96	1
1	18.57	32.14	30.6	1
1	18.86	28.29	48.91	1
1	18.86	32.86	30.15	1
1	18.86	35	29.92	1
1	19	28.29	14.37	1
1	19	32	11.97	1
1	19	33.14	5.99	1
1	19	33.14	9.98	1
1	19.14	29.14	15.76	1
1	19.29	31.86	11.77	1
1	19.57	27.86	26.33	1
1	19.71	29.57	28.77	1
1	19.71	34.29	14.96	1
1	19.86	32.29	13.77	1
1	19.86	37	29.75	1
1	20	33.57	43.9	1
1	20.14	29.71	105.26	1
1	20.43	27	68.63	1
1	20.43	35	14.96	1
1	20.86	29.57	11.77	1
1	20.86	29.57	27.94	1
1	20.86	30	15.36	1
1	20.86	35	52.47	1
1	20.86	35.29	11.77	1
1	20.86	35.71	38.92	1
1	21.14	28.43	28.74	1
1	21.14	29.71	87.4	1
1	21.14	30.29	56.77	1
1	21.14	34.29	44.28	1
1	21.43	27	34.97	1
1	21.43	27.57	71.5	1
1	21.57	27.71	5.96	1
1	21.57	29.86	14.96	1
1	21.57	36	89.48	1
1	21.71	36.43	28.34	1
1	21.86	30.14	41.11	1
1	21.86	30.14	43.89	1
1	22	30.29	13.97	1
1	22	30.71	29.92	1
1	22	35.71	71.45	1
1	22	36.57	16.7	1
1	22.14	27.29	45.29	1
1	22.14	34.29	11.77	1
1	22.43	36.86	9.77	1
1	22.57	31.43	78.52	1
1	22.57	36.71	4.79	1
1	22.71	28.71	21.7	1
1	22.71	29.14	14.96	1
1	22.86	34.86	128.89	1
1	23	31.71	5.78	1
1	23	33.86	28.74	1
1	23.14	33.29	57.5	1
1	23.43	38	19.54	1
1	23.57	27.86	37.95	1
1	23.71	31.86	71.62	1
1	23.86	34	45.4	1
1	23.86	34.29	21.75	1
1	23.86	35.29	13.97	1
1	23.86	38.29	26.22	1
1	24	29.43	11.77	1
1	24	38	71.66	1
1	24.14	29.43	14.37	1
1	24.14	38.14	24.99	1
1	24.14	38.14	92.8	1
1	24.29	33.57	40.51	1
1	24.43	27.14	27.98	1
1	24.43	38.57	14.96	1
1	24.57	29.86	16.36	1
1	24.57	30.29	28.74	1
1	24.71	30.71	14.96	1
1	24.86	34	54.73	1
1	24.86	34.71	14.96	1
1	25	29.57	14.96	1
1	25	30.71	186.26	1
1	25.14	29.14	17.3	1
1	25.43	28.57	122.37	1
1	25.86	27.14	12.49	1
1	25.86	30.57	19.55	1
1	25.86	36.43	189.64	1
1	26.14	31.14	52.87	1
1	26.14	31.43	13.97	1
1	26.29	29.43	12.25	1
1	26.71	33.57	68.31	1
1	26.71	34.29	15.96	1
1	26.71	35.57	27.31	1
1	27	29.57	12.99	1
1	27.14	36.14	14.37	1
1	27.14	38.71	31.14	1
1	27.29	27.57	38.97	1
1	27.43	31.43	12.25	1
1	27.43	37.43	21.74	1
1	27.71	34.14	46.5	1
1	28	29	11.49	1
1	28	35	10.77	1
1	28.14	30.57	60.44	1
1	28.29	28.29	12.99	1
1	28.57	29.43	2.99	1
1	29	35.43	15.36	1
1	29.29	31	10.48	1
1	29.29	32	23.49	1
1	29.43	38.71	80.46	1
1	29.71	32	36.97	1
1	29.86	35.86	27.77	1
1	30.14	32.14	28.48	1
1	30.14	32.57	38.97	1
1	30.29	30.71	12.99	1
1	30.57	31	11.49	1
1	30.57	31.86	12.99	1
1	30.57	31.86	41.47	1
1	31.14	31.43	15.49	1
1	31.29	35.43	14.37	1
1	31.57	36.14	51.5	1
1	31.86	36.43	14.96	1
1	32	37.29	16.36	1
1	33.29	33.29	19.49	1
1	33.29	38.29	14.99	1
1	33.71	35.14	12.99	1
1	34	37.14	25.74	1
1	34.29	35.29	18.98	1
1	35.43	35.43	45.98	1
1	35.86	35.86	41.47	1
1	36	36	11.49	1
1	36.29	37	31.48	1
1	36.86	37.29	64.45	1
1	37.43	37.86	14.49	1
1	38.43	38.43	6.49	1
2	0.86	34.29	42.2	1
2	1.14	32.57	36.83	1
2	1.57	31	68.17	1
2	2	30.14	18.34	1
2	2.29	33.14	47.84	1
2	2.43	32.14	53.92	1
2	2.86	28	15.37	1
2	3	28.86	26.54	1
2	3.14	36.14	29.98	1
2	3.43	36.43	15.36	1
2	3.71	29.14	20.69	1
2	3.86	30.29	39.81	1
2	3.86	35	20.15	1
2	3.86	35.29	21.75	1
2	4	29	36.11	1
2	4	30.71	22.64	1
2	4	31.14	16.86	1
2	4	33.14	13.37	1
2	4.86	33.14	16.24	1
2	5	31.14	28.84	1
2	5.14	30.86	17.57	1
2	5.43	28.29	21.66	1
2	5.43	30	15.48	1
2	5.71	28.57	30.94	1
2	6	30.57	14.67	1
2	6	33	19.64	1
2	6.29	31.43	19.99	1
2	6.43	27.57	45.61	1
2	6.86	27	21.85	1
2	7	37.57	18.88	1
2	7.43	31.43	13.07	1
2	7.43	38	23.48	1
2	7.57	27.71	20.96	1
2	7.86	37.71	11.87	1
2	8	32	173.04	1
2	8.14	29.86	13.73	1
2	8.14	34.43	127.32	1
2	8.29	27.14	40.41	1
2	8.29	32.14	13.97	1
2	8.29	35.14	24.08	1
2	8.43	28	38.13	1
2	8.43	28.43	44.99	1
2	8.43	28.71	20.1	1
2	8.71	34	15.46	1
2	8.86	30.14	41.14	1
2	8.86	30.43	20.35	1
2	9.14	34.57	66.94	1
2	9.57	28.57	13.07	1
2	9.71	34.86	50.27	1
2	9.86	27	32.64	1
2	9.86	33	56.73	1
2	10.14	36.43	22.08	1
2	10.57	34.71	11.77	1
2	10.57	36.71	9.77	1
2	10.71	29.43	11.77	1
2	10.71	33.57	42.48	1
2	10.86	29	49.97	1
2	11	36.14	31.26	1
2	11.14	31.86	25.68	1
2	11.14	35.86	17.62	1
2	11.43	33.71	36.86	1
2	11.43	37.43	20.35	1
2	11.57	35.14	11.98	1
2	11.71	31.71	34.21	1
2	11.86	28.86	35.86	1
2	11.86	32	26.75	1
2	12	27	15.24	1
2	12	34.86	14.47	1
2	12.29	31.14	93.8	1
2	12.43	36.29	52.47	1
2	12.57	27.86	62.23	1
2	12.71	34.43	46.79	1
2	13.14	32.29	41.31	1
2	13.29	27.14	23.66	1
2	13.57	35.43	21.37	1
2	14	31.57	12.47	1
2	14	34.14	68.85	1
2	14.14	36.86	10.88	1
2	14.29	28	48.68	1
2	14.29	33.71	12.47	1
2	14.29	35.86	39.6	1
2	14.29	37.57	41.48	1
2	14.43	34.71	16.83	1
2	14.57	38.71	32.3	1
2	15	33	45.82	1
2	15.29	29.86	23	1
2	15.29	29.86	34.13	1
2	15.29	33	17.7	1
2	15.43	27.29	22.15	1
2	15.43	32.71	31.04	1
2	15.71	30	43.69	1
2	15.86	36.43	34.22	1
2	16	33.57	38.4	1
2	16.29	35	28.64	1
2	16.86	29.86	19.99	1
2	16.86	38	51.8	1
2	17	28.14	41.83	1
2	17.43	34.86	20.55	1
2	17.57	27	43.8	1
2	17.71	30.14	245.21	1
2	18.29	29.14	213.01	1
2	18.29	34.14	12.97	1
2	18.71	32.14	36.02	1
2	18.86	33.43	52.85	1
2	19	27.14	38.37	1
2	19.14	31.14	16.13	1
2	19.14	33.29	16.98	1
2	19.43	30.29	11.77	1
2	19.57	30.43	38.73	1
2	19.71	31	22.96	1
2	19.71	36.29	13.37	1
2	20.14	29.14	32.53	1
2	20.14	34	28.04	1
2	20.43	29.29	75.05	1
2	20.43	37.29	26.94	1
2	20.57	27.86	54.59	1
2	20.57	29.29	14.47	1
2	20.57	29.29	37.82	1
2	20.71	27.29	29.65	1
2	20.71	29.86	14.77	1
2	20.71	34.43	32.42	1
2	21	31.29	27.24	1
2	21	34.14	103.88	1
2	21	34.14	109.63	1
2	21.14	38.43	133.48	1
2	21.29	28.86	20.65	1
2	21.29	36	56.95	1
2	21.43	30.71	87.46	1
2	21.43	31.43	32.02	1
2	21.43	32.29	12.97	1
2	21.43	33.43	29.6	1
2	21.57	32	34.24	1
2	21.57	35.43	44	1
2	21.86	27	18.56	1
2	21.86	28	22.55	1
2	21.86	36.43	18.14	1
2	22	35.43	37.08	1
2	22.14	28.29	25.85	1
2	22.43	35.71	135.96	1
2	22.57	31.43	36.81	1
2	22.57	36.71	15.7	1
2	22.57	36.71	79.02	1
2	22.71	35.86	96.09	1
2	23	36.14	32.54	1
2	23.43	31.71	18.96	1
2	23.71	27.86	12.02	1
2	23.71	28.86	15.16	1
2	23.71	36.71	36.22	1
2	24	37.29	36.11	1
2	24.29	31.86	29.74	1
2	24.43	27.86	87.9	1
2	24.43	30.43	12.57	1
2	24.57	28.14	13.57	1
2	24.71	31.43	10.39	1
2	24.86	29.86	41.72	1
2	24.86	35.57	14.31	1
2	25	28.14	19.64	1
2	25.14	30	22.35	1
2	25.14	31.14	100.35	1
2	25.29	28.57	34.9	1
2	25.43	29	25.66	1
2	25.57	34.43	37.12	1
2	25.71	27.86	59.66	1
2	25.71	30.29	45.19	1
2	25.86	35.43	8.38	1
2	26.14	36.29	97.58	1
2	26.29	31.14	54.04	1
2	26.43	27.57	41.44	1
2	26.86	31.29	79.81	1
2	27	27.43	77.29	1
2	27.14	32	33.14	1
2	27.14	32.14	20.95	1
2	27.14	33.57	27.57	1
2	27.57	29.71	47.95	1
2	27.71	28.43	39.34	1
2	27.71	29.14	34.91	1
2	27.71	30.57	21.13	1
2	27.86	29.14	12.13	1
2	28	33.14	31.62	1
2	28	34.14	38.45	1
2	28.43	38	13.87	1
2	28.57	37.29	52.94	1
2	28.57	38	15.16	1
2	28.71	29.86	15.23	1
2	29	35.57	46.35	1
2	29	37.57	14.47	1
2	29.43	35.71	77.42	1
2	30	36.29	25.05	1
2	30.14	31.43	11.47	1
2	30.43	38.86	22.35	1
2	30.57	31	17.63	1
2	31	34.29	12.25	1
2	31	35.86	27.85	1
2	31	37.57	21.87	1
2	31.71	32.57	27.46	1
2	31.71	35.71	33.72	1
2	31.86	38.29	33.42	1
2	32	37	60.75	1
2	32.43	35.71	31.97	1
2	32.57	32.57	42.47	1
2	32.71	33.86	55.51	1
2	32.71	35.43	41.12	1
2	33	33.71	11.97	1
2	33	37.43	28.65	1
2	33.14	38.57	28.03	1
2	33.57	35.29	11.63	1
2	33.71	33.71	43.98	1
2	33.71	36.14	20.13	1
2	34.43	35.57	24.99	1
2	34.57	37	25.61	1
2	35.43	37.14	65.07	1
2	35.57	37.29	21.36	1
2	35.71	38	18.98	1
2	35.71	38.86	25.55	1
3	1.43	29	37.45	1
3	1.43	32.14	16.63	1
3	2.43	29.86	47.03	1
3	2.71	36.86	15.89	1
3	3.29	31.86	20.62	1
3	3.43	35.71	41.46	1
3	5.57	36	36.19	1
3	5.71	29.86	26.32	1
3	6	32.71	14.63	1
3	6	37.71	28.46	1
3	6.29	29.86	90.41	1
3	6.29	32	19.5	1
3	7.29	28.43	11.6	1
3	8	28	12.57	1
3	8.57	32.86	13.59	1
3	9.29	34.57	12.19	1
3	9.71	29.71	64.21	1
3	9.71	33	57.56	1
3	11.14	35.29	32.02	1
3	11.86	32.14	29.35	1
3	12	33.14	26.73	1
3	12.71	29.86	8.51	1
3	12.71	30.43	41.36	1
3	13.14	33.29	27.54	1
3	14.29	32.29	78.06	1
3	15	28.57	43.7	1
3	15.14	28.57	29.2	1
3	15.86	28.71	62.95	1
3	16	30	10.83	1
3	16.14	29.29	19.48	1
3	16.43	34.71	13.3	1
3	16.86	30.29	21.01	1
3	16.86	38.29	20.22	1
3	17.14	34.71	20.68	1
3	17.43	31.29	28.94	1
3	17.43	36.57	26.42	1
3	17.57	30.57	21.64	1
3	18	33.29	15.17	1
3	18.29	30.29	13.23	1
3	18.71	31.43	27.09	1
3	19.14	32.14	14.31	1
3	19.29	33.14	20.42	1
3	19.43	37.14	87.43	1
3	19.86	27.57	28.39	1
3	19.86	29.29	17.89	1
3	20.14	27.71	125.6	1
3	20.29	34.86	48.17	1
3	20.57	32.57	30.77	1
3	20.86	30.14	24.75	1
3	20.86	36.29	17.89	1
3	21.14	28.29	18.82	1
3	21.14	37.71	37.99	1
3	21.29	36.43	14.37	1
3	22.14	31.14	33.4	1
3	22.57	29.29	24.76	1
3	23.43	32.29	47.16	1
3	23.71	32	45.91	1
3	23.71	35.71	58.67	1
3	24.29	37.14	20.5	1
3	24.43	28.14	53.57	1
3	24.43	30	32.79	1
3	24.57	33.29	67.12	1
3	24.71	29.86	38.57	1
3	24.71	37.86	46.59	1
3	25.29	35	70.45	1
3	25.71	27.71	18.43	1
3	25.71	31.86	34.78	1
3	25.86	30.86	17.89	1
3	25.86	31.14	97.1	1
3	25.86	32.29	23.49	1
3	25.86	34.86	20.08	1
3	26	28.29	45.64	1
3	26	30.86	15.58	1
3	26	33.43	40.32	1
3	26	38	19.36	1
3	26.43	30.71	28.2	1
3	26.71	35.14	40.04	1
3	27.57	32.29	11.31	1
3	27.71	28.14	33.47	1
3	27.71	28.43	19.47	1
3	27.71	28.43	27.09	1
3	27.71	37	93.4	1
3	28.14	31.57	12.24	1
3	28.14	32.43	32.12	1
3	28.29	38.71	25.08	1
3	28.43	32.71	33.55	1
3	29.29	38.43	42.63	1
3	29.71	30	43.47	1
3	30	35.43	14.7	1
3	30.29	30.29	23.29	1
3	30.29	30.86	22.39	1
3	30.29	33	17.7	1
3	30.43	36	31.99	1
3	30.71	31.86	18.66	1
3	31.57	37.14	33.97	1
3	32	34.29	39.73	1
3	32.86	37.14	19.62	1
3	33.71	34.71	37.47	1
3	34.43	37	20.08	1
3	36.57	37.43	22.29	1
4	1.29	32.71	37.16	1
4	4.29	37	48.81	1
4	7.57	30	34.94	1
4	7.57	38	13.62	1
4	8	29.71	45.73	1
4	8.43	31.71	53.3	1
4	9	36	31.04	1
4	11.14	28.29	77.06	1
4	13.14	31.29	43.97	1
4	14.29	33.43	33.36	1
4	15.14	36.14	19.02	1
4	15.29	33.71	29.1	1
4	16.86	31.57	92.42	1
4	17.43	36	32.82	1
4	19	31	82.83	1
4	20.14	31.29	32.45	1
4	20.29	30.71	59.3	1
4	20.71	32.57	19.63	1
4	20.86	30.43	23.7	1
4	21.43	35.43	31.97	1
4	21.71	28.57	26.56	1
4	21.71	30.43	27.34	1
4	22	31.14	22.15	1
4	23	27.43	79.86	1
4	23.14	34.57	18.04	1
4	24	33.71	99.71	1
4	24.29	37.57	37.26	1
4	24.43	33.57	16.26	1
4	24.71	32.14	68.63	1
4	25	33.14	17.67	1
4	25	33.29	16.62	1
4	25.14	28.57	37.66	1
4	25.14	30	26.47	1
4	25.43	30.86	29.48	1
4	26.14	33.86	25.11	1
4	26.57	27	33.32	1
4	26.57	29.86	32.66	1
4	26.71	30.57	39.38	1
4	26.71	36.29	13.93	1
4	27.71	32.14	28.49	1
4	28.14	29.71	26.91	1
4	28.14	34	60.85	1
4	28.43	30	33.56	1
4	28.43	35.14	15.26	1
4	28.57	29.14	13.17	1
4	28.71	36.71	41.81	1
4	29	33	47.99	1
4	29.14	31.86	20.81	1
4	29.29	38	29.86	1
4	29.43	38.43	53.4	1
4	30.29	31.71	36.39	1
4	30.43	36.14	21.65	1
4	30.57	34.86	22.54	1
4	31.14	36.57	22.86	1
4	31.43	32.71	39.68	1
4	31.43	37.43	24.09	1
4	31.57	32.14	31.28	1
4	33	38	28.53	1
4	35.29	38	24.94	1
4	36	36.14	29.69	1
4	36.14	37.71	33.91	1
4	37.57	38.29	20.68	1
5	5.14	37.29	194.86	1
5	6.86	38	35.58	1
5	8.71	35.57	50.67	1
5	9.57	28.14	40.54	1
5	13	27	146.96	1
5	14.43	34.86	17.22	1
5	14.71	34	9.7	1
5	16.14	37.29	32.12	1
5	17	34.86	62.48	1
5	18	27.14	20.68	1
5	18.29	33.71	33.62	1
5	18.43	28	18.63	1
5	21.14	33.43	122.93	1
5	22.57	36.86	59.42	1
5	22.86	31.57	22.8	1
5	24.29	27	44.93	1
5	24.43	38.86	29.44	1
5	25.14	35	17.25	1
5	25.86	30.57	28.81	1
5	26	31.71	23.78	1
5	26.57	29.86	31.61	1
5	26.86	31.14	24.93	1
5	28.29	30.29	63.19	1
5	28.43	30.57	39.96	1
5	29.14	31.29	87.24	1
5	29.43	29.57	40.12	1
5	29.57	29.71	42.51	1
5	29.57	35.86	27.39	1
5	30	30.14	20.87	1
5	31.14	35.14	29.39	1
5	32.14	33	46.25	1
5	32.29	33.29	36.58	1
5	32.43	32.86	26.18	1
5	33.43	35.57	20.81	1
5	34.57	34.57	89.61	1
5	36	36.86	45.07	1
5	36.14	38.14	17.47	1
5	36.43	37.14	36.98	1
6	12.43	28.14	37.81	1
6	13.29	27.29	41.79	1
6	18.14	31.43	37.41	1
6	18.43	33	24.64	1
6	19.57	31.43	28.41	1
6	21.14	27.29	34.67	1
6	21.29	29	38.25	1
6	23	35	79.33	1
6	25	32.29	73.96	1
6	25	33.57	35.04	1
6	26.14	31	40.85	1
6	26.43	29.86	27.93	1
6	26.57	36	43.93	1
6	26.71	32.57	41.17	1
6	27	37.71	28.77	1
6	27.14	36.14	23.18	1
6	27.57	27.57	31.1	1
6	29.29	30.86	67.14	1
6	29.29	35	36.53	1
6	29.57	32.57	35.67	1
6	29.86	33.71	42.5	1
6	30.43	33.71	47.07	1
6	30.71	32.14	19.82	1
6	30.86	34.43	13.48	1
6	32.86	34.43	47.02	1
6	32.86	37.71	35.18	1
6	33.57	34.86	16.31	1
6	34.86	35.86	18.67	1
6	37.43	38.29	50.87	1
7	5.57	34.29	27.36	1
7	15	32.57	26.09	1
7	17.14	35.43	42.49	1
7	17.86	37.57	71.81	1
7	23.43	27.14	38.57	1
7	24.14	27	16.36	1
7	24.29	28.71	16.6	1
7	25.43	36.14	21.39	1
7	26	34	26.42	1
7	26.43	38.29	27.63	1
7	26.86	28	37.83	1
7	28	29.86	12.89	1
7	28.29	36.14	66.89	1
7	28.57	29.43	36.26	1
7	28.71	33.14	66.7	1
7	29.43	38.86	73.74	1
7	30.14	33.71	23.01	1
7	30.43	33	46.69	1
7	31.43	34.14	23.64	1
7	32.57	33.71	20.16	1
7	33.71	34.43	124.61	1
7	34.14	38	22.92	1
7	34.86	34.86	14.6	1
8	23	32.29	37.65	1
8	27.57	28	51.97	1
8	28.71	30.86	117.46	1
8	31.14	36.43	44.8	1
8	32.29	32.29	24.59	1
8	33.57	35	29.48	1
8	36.14	37.71	49.25	1
9	12	30.71	24.46	1
9	23.43	29.71	62.4	1
9	25.29	27.71	15.81	1
9	28.57	30.14	32.13	1
9	30.57	31.71	61.41	1
10	29.29	34.71	62.26	1
10	33.57	35.71	38.76	1
10	34.14	38.86	24.24	1
10	35.43	38.29	13.66	1
10	37	37.86	62.44	1
11	23.29	29	30.04	1
11	30.86	32.29	15.03	1
11	32	33.14	106.53	1
11	33.14	36	50.03	1
11	36.43	36.57	37.11	1
12	17.71	32.86	51.97	1
12	23.86	35.57	26.74	1
12	32.43	33.43	12.86	1
12	34.43	38.57	29.54	1
13	28.14	37.86	25.46	1
13	30.71	37.14	17.56	1
13	33.86	34.29	28.62	1
13	34.43	35	42.44	1
13	37.86	38	29.34	1
14	29.86	30.86	18.13	1
14	30.29	31.57	19.01	1
15	23.86	29.29	19.83	1
17	28.43	28.86	48.23	1
18	35.14	35.86	78.63	1
19	34	34.14	29.49	1
21	4.71	29.29	299.63	1
25	27.29	36.86	37.21	1
26	30.86	31	39.97	1
29	37.71	38	26.26	1
\.
CREATE TABLE cdnow AS
SELECT row_number() OVER (ORDER BY x, t_x, t, zbar, g) AS id, x, t_x, t, zbar
FROM cdnow_patterns, generate_series(1, n) AS g;
SELECT count(*) AS customers, sum(x) AS repeat_purchases, count(*) FILTER (WHERE x > 0) AS repeaters
FROM cdnow;

------------------------------------------------------------------------------
-- clv_summary: hand-checked cases
------------------------------------------------------------------------------
CREATE TABLE orders (customer int, ordered_at timestamptz, amount numeric);
INSERT INTO orders VALUES
	-- 1: two orders on day 1 (one purchase of 15), repeats of 20 and 40;
	--    frequency 2, recency 10 days, T 30 days, monetary (20 + 40) / 2 = 30
	(1, '2024-01-01 09:00+00', 10), (1, '2024-01-01 18:00+00', 5),
	(1, '2024-01-05 12:00+00', 20), (1, '2024-01-11 08:00+00', 40),
	-- an order after as_of's day is ignored, one later on as_of's day counts
	(1, '2024-02-01 00:00+00', 1000),
	-- 2: one purchase day only: frequency 0, recency 0, monetary 0
	(2, '2024-01-20 10:00+00', 99.99), (2, '2024-01-20 11:00+00', 0.01),
	-- 3: NULL amount and NULL time rows are skipped
	(3, NULL, 5), (3, '2024-01-10 00:00+00', NULL), (3, '2024-01-10 00:00+00', 0.1),
	(3, '2024-01-17 00:00+00', 0.2), (3, '2024-01-17 23:59+00', 0.1),
	-- 4: only orders after as_of: no summary (NULL)
	(4, '2024-03-01 00:00+00', 7),
	-- 5: a return on a repeat day counts as that day's (negative) total
	(5, '2024-01-01 00:00+00', 10), (5, '2024-01-31 23:00+00', 50), (5, '2024-01-31 23:30+00', -60);

SELECT customer, (s).frequency, (s).recency, (s).t, (s).monetary_value
FROM (SELECT customer, crm.clv_summary(ordered_at, amount, '2024-01-31 12:00+00', '1 day') AS s
	  FROM orders GROUP BY customer) q
ORDER BY customer;

-- the same in weeks; float8 amounts give the same values
SELECT customer, (s).frequency, round((s).recency::numeric, 6) AS recency,
	   round((s).t::numeric, 6) AS t, (s).monetary_value
FROM (SELECT customer, crm.clv_summary(ordered_at, amount::float8, '2024-01-31 12:00+00', '1 week') AS s
	  FROM orders GROUP BY customer) q
ORDER BY customer;

-- exact numeric day totals: 0.1 + 0.2 is 0.3 (float8 sums give 0.30000000000000004)
SELECT (crm.clv_summary(ordered_at, amount, '2024-02-01', '1 day')).monetary_value = 0.3 AS exact
FROM orders WHERE customer = 3;

-- calendar days follow the session TimeZone, as lifetimes' date truncation
-- of local times: 23:30 and 00:30 UTC are two days in UTC, one in New York
SELECT crm.clv_summary(ts, 1::numeric, '2024-01-10', '1 day')
FROM unnest('{2024-01-01 23:30+00, 2024-01-02 00:30+00}'::timestamptz[]) ts;
SET TimeZone = 'America/New_York';
SELECT crm.clv_summary(ts, 1::numeric, '2024-01-10', '1 day')
FROM unnest('{2024-01-01 23:30+00, 2024-01-02 00:30+00}'::timestamptz[]) ts;
SET TimeZone = 'UTC';

-- months count 30 days: 2024-01-01 .. 2024-03-01 is 60 days = 2 months, .. 2024-03-31 is 3
SELECT crm.clv_summary(d, 1::numeric, '2024-03-31', '1 mon')
FROM unnest('{2024-01-01, 2024-01-31, 2024-03-01}'::date[]) d;

-- no rows, or only rows after as_of: NULL
SELECT crm.clv_summary(ordered_at, amount, '2024-01-31', '1 day') IS NULL AS empty
FROM orders WHERE false;

-- CDNOW: five customers of CDNOW_sample.txt (dates YYYYMMDD, dollar values)
-- and their rows of lifetimes' cdnow_customers_summary_with_transactions.csv:
--   ID x t_x   T     zbar
--   1  2 30.43 38.86 22.35
--   2  1 1.71  38.86 11.77
--   6  7 29.43 38.86 73.74
--   26 1 1.57  38.71 227.14  (two orders on 1997-01-13)
--   61 4 29.43 38.43 53.4    (two orders on 1997-01-20 and on 1997-02-24)
CREATE TABLE cdnow_tx (id int, d date, amount numeric);
INSERT INTO cdnow_tx VALUES
	(1, '19970101', 29.33), (1, '19970118', 29.73), (1, '19970802', 14.96), (1, '19971212', 26.48),
	(2, '19970101', 63.34), (2, '19970113', 11.77),
	(6, '19970101', 35.99), (6, '19970111', 32.99), (6, '19970315', 77.96), (6, '19970416', 59.30),
	(6, '19970424', 134.98), (6, '19970623', 91.92), (6, '19970722', 47.08), (6, '19970726', 71.96),
	(6, '19971025', 78.47), (6, '19971206', 83.47), (6, '19980118', 84.46),
	(26, '19970102', 3.99), (26, '19970113', 166.89), (26, '19970113', 60.25),
	(61, '19970104', 56.27), (61, '19970120', 62.90), (61, '19970120', 15.36), (61, '19970224', 63.95),
	(61, '19970224', 24.99), (61, '19970303', 15.36), (61, '19970729', 31.03), (61, '19971217', 29.48),
	(61, '19971218', 28.49), (61, '19971222', 66.97);
SELECT id, (s).frequency, round((s).recency::numeric, 2) AS recency, round((s).t::numeric, 2) AS t,
	   round((s).monetary_value::numeric, 2) AS monetary_value
FROM (SELECT id, crm.clv_summary(d, amount, '1997-09-30', '1 week') AS s FROM cdnow_tx GROUP BY id) q
ORDER BY id;

------------------------------------------------------------------------------
-- BG/NBD on CDNOW
------------------------------------------------------------------------------
CREATE TABLE bg AS SELECT crm.bgnbd_fit(x, t_x, t) AS m FROM cdnow;
SELECT round((m).r::numeric, 3) AS r, round((m).alpha::numeric, 3) AS alpha,
	   round((m).a::numeric, 3) AS a, round((m).b::numeric, 3) AS b,
	   round((m).log_likelihood::numeric, 1) AS log_likelihood, (m).customers, (m).converged
FROM bg;
-- the maximum: the likelihood at the fitted point matches the fit's and beats
-- the published rounded point
SELECT round(sum(crm.bgnbd_log_likelihood(m, x, t_x, t))::numeric, 6) = round((m).log_likelihood::numeric, 6) AS same_ll,
	   sum(crm.bgnbd_log_likelihood(m, x, t_x, t)) >
	   sum(crm.bgnbd_log_likelihood(row(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL), x, t_x, t)) AS better
FROM bg, cdnow GROUP BY m;
-- conditional expectation of the paper (1.226)
SELECT round(crm.bgnbd_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 3) FROM bg;
-- E[X(t)] of a new customer (published 0.0078 0.0532 0.1506 1.0405 1.0437;
-- t = 78: scipy 1.8580 with the fitted parameters)
SELECT t, round(crm.bgnbd_expected_purchases(m, t)::numeric, 4)
FROM bg, unnest('{0, 0.1429, 1, 3, 31.8571, 32, 78}'::float8[]) t ORDER BY t;
-- P(alive) and expected purchases of CDNOW customers 1-5 (scipy: 0.726609
-- 1.225910, 0.212227 0.203251, then 1 0.194781 for the one-time buyers)
SELECT x, t_x, t, round(crm.bgnbd_p_alive(m, x, t_x, t)::numeric, 6) AS p_alive,
	   round(crm.bgnbd_expected_purchases(m, 39, x, t_x, t)::numeric, 6) AS purchases_39
FROM bg, (VALUES (2, 30.43, 38.86), (1, 1.71, 38.86), (0, 0, 38.86)) v(x, t_x, t) ORDER BY x DESC;
-- a heavy buyer: stable for frequencies in the hundreds (scipy: 98.8498, 0.478417)
SELECT round(crm.bgnbd_expected_purchases(m, 39, 300, 38, 38.86)::numeric, 4),
	   round(crm.bgnbd_p_alive(m, 300, 38, 38.86)::numeric, 6)
FROM bg;
-- the time unit only rescales alpha: the same fit in days
SELECT round((m).r::numeric, 6) = round((SELECT (m).r FROM bg)::numeric, 6) AS same_r,
	   round(((m).alpha / 7)::numeric, 4) = round((SELECT (m).alpha FROM bg)::numeric, 4) AS alpha_in_days
FROM (SELECT crm.bgnbd_fit(x, t_x * 7, t * 7) AS m FROM cdnow) q;
-- penalizer (lifetimes' penalizer_coef = 0.1; scipy: 0.163784 1.775423 0.153424 0.281231)
SELECT round((m).r::numeric, 4) AS r, round((m).alpha::numeric, 4) AS alpha,
	   round((m).a::numeric, 4) AS a, round((m).b::numeric, 4) AS b, (m).converged
FROM (SELECT crm.bgnbd_fit(x, t_x, t, 0.1) AS m FROM cdnow) q;

------------------------------------------------------------------------------
-- Pareto/NBD on CDNOW
------------------------------------------------------------------------------
CREATE TABLE pn AS SELECT crm.paretonbd_fit(x, t_x, t) AS m FROM cdnow;
-- published beta = 11.669; the exact maximum is 11.6679 (scipy Nelder-Mead
-- from lifetimes' likelihood gives 11.66791), and its likelihood is higher
SELECT round((m).r::numeric, 3) AS r, round((m).alpha::numeric, 3) AS alpha,
	   round((m).s::numeric, 3) AS s, round((m).beta::numeric, 4) AS beta,
	   abs((m).beta - 11.669) < 0.002 AS beta_published,
	   round((m).log_likelihood::numeric, 4) AS log_likelihood, (m).customers, (m).converged
FROM pn;
SELECT sum(crm.paretonbd_log_likelihood(m, x, t_x, t)) >
	   sum(crm.paretonbd_log_likelihood(row(0.553, 10.578, 0.606, 11.669, NULL, NULL, NULL, NULL), x, t_x, t)) AS better
FROM pn, cdnow GROUP BY m;
-- BTYD walkthrough: 25.46
SELECT round(crm.paretonbd_expected_purchases(m, 52, 26, 30.86, 31)::numeric, 2) FROM pn;
-- scipy: P(alive) 0.869119 0.167872 0.295097, E 1.455113 0.170981 0.107060, new 1.213408
SELECT x, round(crm.paretonbd_p_alive(m, x, t_x, t)::numeric, 6) AS p_alive,
	   round(crm.paretonbd_expected_purchases(m, 39, x, t_x, t)::numeric, 6) AS purchases_39
FROM pn, (VALUES (2, 30.43, 38.86), (1, 1.71, 38.86), (0, 0, 38.86)) v(x, t_x, t) ORDER BY x DESC;
SELECT round(crm.paretonbd_expected_purchases(m, 39)::numeric, 6) FROM pn;

------------------------------------------------------------------------------
-- Gamma-Gamma on the repeat customers of CDNOW
------------------------------------------------------------------------------
CREATE TABLE gg AS SELECT crm.gammagamma_fit(x, zbar) AS m FROM cdnow;
-- published p = 6.25, q = 3.74, v = 15.44; scipy's maximum is v = 15.4477
SELECT round((m).p::numeric, 2) AS p, round((m).q::numeric, 2) AS q, round((m).v::numeric, 3) AS v,
	   abs((m).v - 15.44) < 0.01 AS v_published, (m).customers, (m).converged
FROM gg;
-- Hardie note 025, first ten customers: 24.65 18.91 35.17 35.17 35.17 71.46 18.91 35.17 27.28 35.17
SELECT v.id, round(crm.gammagamma_expected_value(m, v.x, v.zbar)::numeric, 4) AS expected_spend,
	   abs(crm.gammagamma_expected_value(m, v.x, v.zbar) - v.published) <= 0.01 AS matches
FROM gg, (VALUES (1, 2, 22.35, 24.65), (2, 1, 11.77, 18.91), (3, 0, 0, 35.17), (4, 0, 0, 35.17),
				 (5, 0, 0, 35.17), (6, 7, 73.74, 71.46), (7, 1, 11.77, 18.91), (8, 0, 0, 35.17),
				 (9, 2, 25.55, 27.28), (10, 0, 0, 35.17)) v(id, x, zbar, published)
ORDER BY v.id;

------------------------------------------------------------------------------
-- customer lifetime value (lifetimes' customer_lifetime_value; scipy values)
------------------------------------------------------------------------------
-- 12 months, 1% a month, weekly model (4.345 weeks a month): 36.278497 4.637466 8.344092
SELECT x, round(crm.customer_lifetime_value(bg.m, gg.m, x, t_x, t, zbar, 12, 0.01, '1 week')::numeric, 5) AS clv
FROM bg, gg, (VALUES (2, 30.43, 38.86, 22.35), (1, 1.71, 38.86, 11.77), (0, 0, 38.86, 0)) v(x, t_x, t, zbar)
ORDER BY x DESC;
-- 24 months at 2%: 53.389382; the same model in days (30 days a month): 35.871044
SELECT round(crm.customer_lifetime_value(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 24, 0.02, '7 days')::numeric, 5),
	   round(crm.customer_lifetime_value(row((bg.m).r, (bg.m).alpha * 7, (bg.m).a, (bg.m).b, NULL, NULL, NULL, NULL)::crm.bgnbd_model,
										 gg.m, 2, 30.43 * 7, 38.86 * 7, 22.35, 12, 0.01, '1 day')::numeric, 5)
FROM bg, gg;
-- Pareto/NBD transaction model: 43.0801
SELECT round(crm.customer_lifetime_value(pn.m, gg.m, 2, 30.43, 38.86, 22.35, 12, 0.01, '1 week')::numeric, 4)
FROM pn, gg;
-- brute force in SQL: the monthly differences of the expectation, discounted
SELECT round(sum(crm.gammagamma_expected_value(gg.m, 2, 22.35) *
				 (crm.bgnbd_expected_purchases(bg.m, i * 4.345, 2, 30.43, 38.86) -
				  crm.bgnbd_expected_purchases(bg.m, (i - 1) * 4.345, 2, 30.43, 38.86)) / 1.01 ^ i)::numeric, 9) =
	   round(crm.customer_lifetime_value(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 12, 0.01, '1 week')::numeric, 9) AS same
FROM bg, gg, generate_series(1, 12) i GROUP BY bg.m, gg.m;
-- a model in months: one month is one model unit
SELECT round(sum(crm.gammagamma_expected_value(gg.m, 2, 22.35) *
				 (crm.bgnbd_expected_purchases(bg.m, i, 2, 30.43, 38.86) -
				  crm.bgnbd_expected_purchases(bg.m, i - 1, 2, 30.43, 38.86)) / 1.01 ^ i)::numeric, 9) =
	   round(crm.customer_lifetime_value(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 12, 0.01, '1 mon')::numeric, 9) AS same
FROM bg, gg, generate_series(1, 12) i GROUP BY bg.m, gg.m;
-- no months: 0
SELECT crm.customer_lifetime_value(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 0, 0.01, '1 week') FROM bg, gg;

------------------------------------------------------------------------------
-- parallel aggregation gives the serial result
------------------------------------------------------------------------------
CREATE TABLE gen_orders AS
SELECT i % 1000 AS customer,
	   timestamptz '2023-01-01' + ((i * 7919) % 400) * interval '1 day'
		 + (i % 24) * interval '1 hour' AS ordered_at,
	   ((i * 31) % 10000) / 100.0 AS amount
FROM generate_series(1, 100000) i;
ANALYZE gen_orders;
CREATE TABLE serial_summary AS
SELECT customer AS grp, crm.clv_summary(ordered_at, amount, '2023-12-31', '1 week') AS s
FROM gen_orders GROUP BY customer;
-- independent reference in plain SQL (day totals, first day excluded)
WITH days AS (
	SELECT customer, ordered_at::date AS d, sum(amount) AS total
	FROM gen_orders WHERE ordered_at::date <= '2023-12-31' GROUP BY 1, 2),
ranked AS (
	SELECT *, min(d) OVER w AS first_day, max(d) OVER w AS last_day FROM days
	WINDOW w AS (PARTITION BY customer)),
ref AS (
	SELECT customer, count(*) - 1 AS frequency, (max(last_day) - max(first_day)) / 7.0 AS recency,
		   ('2023-12-31'::date - max(first_day)) / 7.0 AS t,
		   coalesce(avg(total) FILTER (WHERE d > first_day), 0) AS monetary_value
	FROM ranked GROUP BY customer)
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE (s.s).frequency = r.frequency
						AND abs((s.s).recency - r.recency) < 1e-12
						AND abs((s.s).t - r.t) < 1e-12
						AND abs((s.s).monetary_value - r.monetary_value) < 1e-9) AS agree
FROM serial_summary s JOIN ref r ON r.customer = s.grp;
CREATE TABLE serial_all AS
SELECT crm.clv_summary(ordered_at, amount, '2023-12-31', '1 week') AS s FROM gen_orders;
CREATE TABLE serial_fit AS
SELECT crm.bgnbd_fit(x, t_x, t) AS bg, crm.paretonbd_fit(x, t_x, t) AS pn, crm.gammagamma_fit(x, zbar) AS gg FROM cdnow;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- 100 orders per customer: the workers' per-day totals of a customer are merged
EXPLAIN (COSTS OFF)
SELECT customer, crm.clv_summary(ordered_at, amount, '2023-12-31', '1 week') FROM gen_orders GROUP BY customer;
EXPLAIN (COSTS OFF)
SELECT crm.bgnbd_fit(x, t_x, t) FROM cdnow;
EXPLAIN (COSTS OFF)
SELECT crm.clv_summary(ordered_at, amount, '2023-12-31', '1 week') FROM gen_orders;
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE p.s IS NOT DISTINCT FROM s.s) AS same
FROM serial_summary s
JOIN (SELECT customer AS grp, crm.clv_summary(ordered_at, amount, '2023-12-31', '1 week') AS s
	  FROM gen_orders GROUP BY customer) p USING (grp);
-- all orders in one group: per-day totals merged across workers
SELECT (SELECT crm.clv_summary(ordered_at, amount, '2023-12-31', '1 week') FROM gen_orders) = s AS same
FROM serial_all;
SELECT p.bg = s.bg AS bg_same, p.pn = s.pn AS pn_same, p.gg = s.gg AS gg_same
FROM serial_fit s,
	 (SELECT crm.bgnbd_fit(x, t_x, t) AS bg, crm.paretonbd_fit(x, t_x, t) AS pn, crm.gammagamma_fit(x, zbar) AS gg
	  FROM cdnow) p;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

------------------------------------------------------------------------------
-- bad input
------------------------------------------------------------------------------
SELECT crm.bgnbd_fit(-1, 0, 10);
SELECT crm.bgnbd_fit(1.5, 2, 10);
SELECT crm.bgnbd_fit(1, 'NaN', 10);
SELECT crm.bgnbd_fit(1, 2, 'Infinity');
SELECT crm.bgnbd_fit(1, -2, 10);
SELECT crm.bgnbd_fit(1, 12, 10);
SELECT crm.paretonbd_fit(0, 3, 10);
SELECT crm.bgnbd_fit(x, t_x, t, -0.1) FROM cdnow;
-- no customers, no repeat purchases
SELECT crm.bgnbd_fit(x, t_x, t) FROM cdnow WHERE false;
SELECT crm.paretonbd_fit(x, t_x, t) FROM cdnow WHERE x = 0;
SELECT crm.gammagamma_fit(x, zbar) FROM cdnow WHERE x = 0;
SELECT crm.gammagamma_fit(1, 0);
-- rows with a NULL are skipped
SELECT (m).customers, (m).converged
FROM (SELECT crm.bgnbd_fit(x, CASE WHEN id % 2 = 0 THEN NULL ELSE t_x END, t) AS m FROM cdnow) q;
-- no interior maximum: converged = false and a WARNING
SELECT (m).converged, (m).customers
FROM (SELECT crm.bgnbd_fit(1, 10, 10) AS m FROM generate_series(1, 100)) q;
SELECT (m).converged
FROM (SELECT crm.gammagamma_fit(x, 10) AS m FROM generate_series(1, 3) x) q;
-- a penalizer cuts the ridge r, alpha -> infinity, but nobody drops out in
-- these data, so a and b still run to 0 (scipy on lifetimes' objective too)
SELECT (m).converged, round((m).r::numeric, 2) AS r, (m).a < 1e-3 AS a_to_0
FROM (SELECT crm.bgnbd_fit(1, 10, 10, 0.01) AS m FROM generate_series(1, 100)) q;
-- predictions
SELECT crm.bgnbd_expected_purchases(m, -1, 2, 30.43, 38.86) FROM bg;
SELECT crm.bgnbd_expected_purchases(m, 'NaN') FROM bg;
SELECT crm.bgnbd_p_alive(m, 2, 40, 38.86) FROM bg;
SELECT crm.paretonbd_p_alive(m, -2, 3, 38.86) FROM pn;
SELECT crm.bgnbd_p_alive(row(0.2, -1, 1, 1, NULL, NULL, NULL, NULL), 1, 1, 2);
SELECT crm.bgnbd_p_alive(row(0.2, NULL, 1, 1, NULL, NULL, NULL, NULL), 1, 1, 2);
SELECT crm.gammagamma_expected_value(row(6, 0.9, 15, NULL, NULL, NULL, NULL), 2, 10);
SELECT crm.gammagamma_expected_value(m, 2, -5) FROM gg;
SELECT crm.customer_lifetime_value(bg.m, gg.m, 2, 30.43, 38.86, 22.35, -1, 0.01, '1 week') FROM bg, gg;
SELECT crm.customer_lifetime_value(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 12, -1, '1 week') FROM bg, gg;
SELECT crm.customer_lifetime_value(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 12, 0.01, '-1 week') FROM bg, gg;
-- summary
SELECT crm.clv_summary(ordered_at, amount, NULL, '1 day') FROM orders;
SELECT crm.clv_summary(ordered_at, amount, '2024-01-31', '0 days') FROM orders;
SELECT crm.clv_summary(ordered_at, amount, 'infinity', '1 day') FROM orders;
SELECT crm.clv_summary('infinity'::timestamptz, 1::numeric, '2024-01-31', '1 day');
SELECT crm.clv_summary(now(), 'NaN'::numeric, 'infinity', '1 day');
SELECT crm.clv_summary('2024-01-01'::timestamptz, 'Infinity'::float8, '2024-01-31', '1 day');
SELECT crm.clv_summary(ordered_at, amount, ordered_at, '1 day') FROM orders;

-- crm.gammagamma_log_likelihood: one customer's term of the Gamma-Gamma
-- likelihood.  Hand-computed for p = 2, q = 3, v = 10, x = 2, zbar = 5:
--   lnG(7) - lnG(4) - lnG(3) + 3 ln 10 + (4 - 1) ln 5 + 4 ln 2 - 7 ln(2 * 5 + 10)
SELECT round(crm.gammagamma_log_likelihood(row(2, 3, 10, NULL, NULL, NULL, NULL), 2, 5)::numeric, 10) =
	   round((ln(720) - ln(6) - ln(2) + 3 * ln(10) + 3 * ln(5) + 4 * ln(2) - 7 * ln(20))::numeric, 10) AS by_hand,
	   crm.gammagamma_log_likelihood(row(2, 3, 10, NULL, NULL, NULL, NULL), 0, 0) AS one_time_buyer;
-- summed over the CDNOW repeat customers at the fitted point it is the fit's log-likelihood
SELECT round(sum(crm.gammagamma_log_likelihood(m, x, zbar))::numeric, 6) = round((m).log_likelihood::numeric, 6) AS same_ll
FROM gg, cdnow WHERE x > 0 GROUP BY m;
SELECT crm.gammagamma_log_likelihood(row(2, 3, 10, NULL, NULL, NULL, NULL), 2, -5);
