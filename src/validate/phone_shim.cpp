/*-------------------------------------------------------------------------
 *
 * phone_shim.cpp
 *		A thin extern "C" shim over Google's libphonenumber, for phone.c.
 *
 * No PostgreSQL header is included here and no C++ exception leaves this
 * file: every entry point catches everything and reports a plain status.
 *
 *-------------------------------------------------------------------------
 */
#include <cstring>
#include <string>

#include "phonenumbers/phonenumberutil.h"

#include "validate/phone_shim.h"

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" int
dataeng_phone_check(const char *number, size_t len, const char *region,
					int *valid, int *possible, char *e164, size_t e164size)
{
	try
	{
		const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
		PhoneNumber pn;
		std::string formatted;
		PhoneNumberUtil::ErrorType err;

		*valid = 0;
		*possible = 0;
		if (e164size > 0)
			e164[0] = '\0';
		err = util->Parse(std::string(number, len), region ? region : "ZZ", &pn);
		switch (err)
		{
			case PhoneNumberUtil::NO_PARSING_ERROR:
				break;
			case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
				return PHONE_BAD_COUNTRY;
			case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
			case PhoneNumberUtil::TOO_SHORT_NSN:
				return PHONE_TOO_SHORT;
			case PhoneNumberUtil::TOO_LONG_NSN:
				return PHONE_TOO_LONG;
			default:
				return PHONE_NOT_A_NUMBER;
		}
		*possible = util->IsPossibleNumber(pn) ? 1 : 0;
		*valid = util->IsValidNumber(pn) ? 1 : 0;
		util->Format(pn, PhoneNumberUtil::E164, &formatted);
		if (formatted.size() + 1 <= e164size)
			memcpy(e164, formatted.c_str(), formatted.size() + 1);
		return PHONE_PARSED;
	}
	catch (...)
	{
		return PHONE_INTERNAL;
	}
}

extern "C" int
dataeng_phone_region_known(const char *region)
{
	try
	{
		const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();

		return util->GetCountryCodeForRegion(region) != 0 ? 1 : 0;
	}
	catch (...)
	{
		return 0;
	}
}
