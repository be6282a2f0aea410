# Loaders of the shared real data sets that several test scripts use (source
# it; psql must reach the test database).  Each creates the tables with the
# split of the prediction tests and sets the list of feature columns.
#
#   crm_load_telco CSV      IBM Telco Customer Churn: tables telco_raw and
#                           telco (TotalCharges as total_charges_num, NULL when
#                           blank; is_test = crm.hash_split(customer_id, 0.3));
#                           TELCO_FEATURES
#   crm_load_bank ZIP DIR   UCI Bank Marketing (bank-additional-full.csv,
#                           extracted into DIR): tables bank_raw and bank (id =
#                           row number, is_test = crm.hash_split(id, 0.3));
#                           BANK_FEATURES (every column but duration and y)

crm_load_telco() {
	psql -X -q -v ON_ERROR_STOP=1 <<SQL || return 1
CREATE TABLE telco_raw (customer_id text, gender text, senior_citizen int, partner text, dependents text,
	tenure int, phone_service text, multiple_lines text, internet_service text, online_security text,
	online_backup text, device_protection text, tech_support text, streaming_tv text, streaming_movies text,
	contract text, paperless_billing text, payment_method text, monthly_charges float8, total_charges text,
	churn text);
\\copy telco_raw FROM '$1' CSV HEADER
CREATE TABLE telco AS
SELECT *, nullif(btrim(total_charges), '')::float8 AS total_charges_num,
	   crm.hash_split(customer_id, 0.3) AS is_test
FROM telco_raw;
SQL
	TELCO_FEATURES="gender, senior_citizen, partner, dependents, tenure, phone_service, multiple_lines"
	TELCO_FEATURES+=", internet_service, online_security, online_backup, device_protection, tech_support"
	TELCO_FEATURES+=", streaming_tv, streaming_movies, contract, paperless_billing, payment_method"
	TELCO_FEATURES+=", monthly_charges, total_charges_num"
}

crm_load_bank() {
	/usr/bin/python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("bank-additional/bank-additional-full.csv", sys.argv[2])' "$1" "$2" || return 1
	psql -X -q -v ON_ERROR_STOP=1 <<SQL || return 1
CREATE TABLE bank_raw (age int, job text, marital text, education text, "default" text, housing text, loan text,
	contact text, month text, day_of_week text, duration int, campaign int, pdays int, previous int, poutcome text,
	emp_var_rate float8, cons_price_idx float8, cons_conf_idx float8, euribor3m float8, nr_employed float8, y text);
\\copy bank_raw FROM '$2/bank-additional/bank-additional-full.csv' CSV HEADER DELIMITER ';'
CREATE TABLE bank AS SELECT row_number() OVER () AS id, * FROM bank_raw;
ALTER TABLE bank ADD COLUMN is_test boolean;
UPDATE bank SET is_test = crm.hash_split(id::text, 0.3);
SQL
	BANK_FEATURES='age, job, marital, education, "default", housing, loan, contact, month, day_of_week, campaign'
	BANK_FEATURES+=', pdays, previous, poutcome, emp_var_rate, cons_price_idx, cons_conf_idx, euribor3m, nr_employed'
}
