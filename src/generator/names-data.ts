/** Name tables for synthetic people, by generation and community. */
import { Weighted } from './prng.js';

/** Splits a comma-separated list (keeps the tables compact; some names contain spaces). */
function list(...parts: string[]): string[] {
  return parts.flatMap((p) => p.split(', '));
}

/** Generations by birth year (Pew Research Center definitions), used to pick period-typical first names. */
export function generationOf(birthYear: number): number {
  if (birthYear < 1946) return 0;
  if (birthYear < 1965) return 1;
  if (birthYear < 1981) return 2;
  if (birthYear < 1997) return 3;
  if (birthYear < 2013) return 4;
  return 5;
}

/** Popular US first names per generation (SSA baby-name tables, top names of each era). */
export const GIVEN_BY_GENERATION: {
  readonly female: readonly string[][];
  readonly male: readonly string[][];
} = {
  female: [
    list(
      'Mary, Dorothy, Helen, Betty, Margaret, Ruth, Virginia, Doris, Mildred, Frances, Evelyn, Shirley, Jean, Joan',
    ),
    list(
      'Mary, Linda, Patricia, Susan, Deborah, Barbara, Karen, Nancy, Donna, Cynthia, Sandra, Pamela, Sharon, Carol',
    ),
    list(
      'Jennifer, Lisa, Kimberly, Michelle, Amy, Angela, Melissa, Tammy, Julie, Heather, Christina, Tracy, Dawn, Laura',
    ),
    list(
      'Jessica, Ashley, Amanda, Sarah, Stephanie, Nicole, Elizabeth, Megan, Lauren, Rachel, Samantha, Brittany, Emily',
    ),
    list(
      'Emily, Hannah, Madison, Alexis, Abigail, Olivia, Emma, Taylor, Chloe, Grace, Isabella, Ava, Sophia, Brianna',
    ),
    list(
      'Olivia, Emma, Charlotte, Amelia, Ava, Sophia, Mia, Evelyn, Harper, Luna, Gianna, Eleanor, Ella, Avery, Nora',
    ),
  ],
  male: [
    list(
      'Robert, James, John, William, Richard, Charles, Donald, George, Thomas, Joseph, Edward, Frank, Harold, Walter',
    ),
    list(
      'James, Michael, Robert, John, David, William, Richard, Thomas, Mark, Steven, Gary, Joseph, Donald, Ronald',
    ),
    list(
      'Michael, David, John, James, Robert, Christopher, William, Brian, Jason, Scott, Jeffrey, Kevin, Timothy, Eric',
    ),
    list(
      'Michael, Christopher, Matthew, Joshua, David, Daniel, Andrew, Justin, Ryan, Brandon, Jonathan, Nicholas, Kyle',
    ),
    list(
      'Jacob, Ethan, Joshua, Matthew, Andrew, Daniel, Anthony, William, Alexander, Ryan, Nicholas, Tyler, Noah, Logan',
    ),
    list(
      'Liam, Noah, Oliver, Elijah, James, Benjamin, Lucas, Henry, Theodore, Jack, Levi, Jackson, Mateo, Mason, Ezra',
    ),
  ],
};

/** First names common among Hispanic Americans (SSA state tables for TX/CA, Pew naming studies). */
export const HISPANIC_GIVEN = {
  female: list(
    'Maria, Guadalupe, Ana, Rosa, Carmen, Sofia, Valentina, Camila, Ximena, Daniela, Gabriela, Lucia, Isabel',
  ),
  male: list(
    'Jose, Juan, Luis, Carlos, Jesus, Miguel, Francisco, Antonio, Alejandro, Jorge, Manuel, Ricardo, Santiago',
  ),
};

/** First names more common among African Americans (Fryer & Levitt 2004; SSA data). */
export const BLACK_GIVEN = {
  female: list('Aaliyah, Imani, Keisha, Latoya, Ebony, Tamika, Jasmine, Destiny, Shanice, Nia, Kiara, Zuri'),
  male: list('DeShawn, Jamal, Darnell, Tyrone, Malik, Terrell, Andre, Marcus, Darius, Jalen, Xavier, Isaiah'),
};

/** Surnames, from the Census Bureau's 2010 surname file (most frequent names by predominant group). */
export const FAMILY_GENERAL = list(
  'Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, Thomas, Moore, Martin, Thompson',
  'White, Clark, Lewis, Walker, Hall, Allen, Young, King, Wright, Scott, Green, Baker, Adams, Nelson, Hill, Campbell',
  'Mitchell, Roberts, Carter, Phillips, Evans, Turner, Parker, Collins, Edwards, Stewart, Murphy, Cook, Rogers, Morgan',
  'Cooper, Peterson, Reed, Bailey, Kelly, Howard, Cox, Ward, Richardson, Wood, Watson, Brooks, Bennett, Gray, Hughes',
  "Price, Sanders, Myers, Long, Ross, Foster, Schmidt, Mueller, Kowalski, Sullivan, O'Brien, Murray, Fischer, Weber",
  'Novak, Hoffman, Schneider, Meyer',
);
export const FAMILY_BLACK = list(
  'Washington, Jefferson, Jackson, Williams, Johnson, Brown, Jones, Davis, Harris, Robinson, Thomas, Banks, Booker',
  'Mosley, Gaines, Coleman, Jenkins, Bryant, Freeman, Dorsey, Holmes, Simmons, Wallace, Woods',
);
export const FAMILY_HISPANIC = list(
  'Garcia, Rodriguez, Martinez, Hernandez, Lopez, Gonzalez, Perez, Sanchez, Ramirez, Torres, Flores, Rivera, Gomez',
  'Diaz, Cruz, Morales, Reyes, Ortiz, Gutierrez, Chavez, Ramos, Ruiz, Mendoza, Vasquez, Castillo, Jimenez, Romero',
  'Herrera, Medina, Aguilar',
);

export interface AsianGroup {
  readonly name: string;
  /** BCP-47 heritage language and the share speaking it at home (ACS 2019 language-at-home tables, approx.). */
  readonly language: string;
  readonly languageShare: number;
  readonly given: { readonly female: readonly string[]; readonly male: readonly string[] };
  readonly family: readonly string[];
}

function asian(
  name: string,
  language: string,
  languageShare: number,
  female: string,
  male: string,
  family: string,
) {
  return {
    name,
    language,
    languageShare,
    given: { female: list(female), male: list(male) },
    family: list(family),
  };
}

/** Largest Asian-origin groups in the US (Pew Research Center 2021, share of Asian Americans). */
export const ASIAN_GROUPS = new Weighted<AsianGroup>([
  [
    asian(
      'Chinese',
      'zh',
      0.7,
      'Mei, Li, Jing, Xiu Ying, Hui, Ling',
      'Wei, Jian, Hao, Ming, Jun, Lei',
      'Chen, Wang, Li, Zhang, Liu, Huang, Lin, Wu, Wong, Chang',
    ),
    24,
  ],
  [
    asian(
      'Indian',
      'hi',
      0.6,
      'Priya, Anjali, Pooja, Neha, Kavya',
      'Raj, Arjun, Rohan, Vikram, Sanjay',
      'Patel, Shah, Singh, Kumar, Reddy, Gupta',
    ),
    21,
  ],
  [
    asian(
      'Filipino',
      'tl',
      0.5,
      'Maricel, Jocelyn, Rowena, Marites, Angelica',
      'Rodel, Jomar, Ramon, Arnel, Jerome',
      'Santos, Reyes, Bautista, Dela Cruz, Mendoza, Villanueva',
    ),
    19,
  ],
  [
    asian(
      'Vietnamese',
      'vi',
      0.8,
      'Linh, Thu, Ngoc Anh, Mai, Huong, Lan',
      'Minh, Tuan, Duc, Quang, Thanh, Hung',
      'Nguyen, Tran, Le, Pham, Huynh, Vo',
    ),
    10,
  ],
  [
    asian(
      'Korean',
      'ko',
      0.65,
      'Min-ji, Seo-yeon, Ji-woo, Eun-ji, Soo-jin',
      'Min-jun, Ji-hoon, Seung-ho, Dong-hyun',
      'Kim, Lee, Park, Choi, Jung, Kang',
    ),
    9,
  ],
  [
    asian(
      'Japanese',
      'ja',
      0.35,
      'Aiko, Yuki, Hana, Emi',
      'Hiroshi, Kenji, Takeshi, Daisuke',
      'Tanaka, Yamamoto, Suzuki, Nakamura, Sato',
    ),
    7,
  ],
]);
